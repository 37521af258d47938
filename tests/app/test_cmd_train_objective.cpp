// The training-objective flags of `handgrad train` (--loss, --optimizer and
// its settings, --lr-schedule): one-line usage errors naming the flag, each
// optimizer's own defaults (torch's) beside the presets' SGD settings, the
// rate of every evaluation in metrics.csv, the loss carried to `eval`.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/train_fixture.h"

using namespace handgrad::test;

namespace {

class ObjectiveCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { data_ = new std::string(synthetic_mnist("objective_data")); }
  static void TearDownTestSuite() { delete data_; }
  // 600 samples / 16 = 38 steps per epoch.
  static std::string base() {
    return "train --preset seed-mlp --data-dir " + *data_ + " --threads 1 --quiet --batch-size 16";
  }
  static nlohmann::json settings(const std::string& dir) {
    return nlohmann::json::parse(slurp(dir + "/state.json"))["settings"];
  }
  static std::string* data_;
};
std::string* ObjectiveCli::data_ = nullptr;

nlohmann::json last_json_line(const std::string& out) {
  const size_t end = out.find_last_not_of('\n');
  const size_t start = out.rfind('\n', end);
  return nlohmann::json::parse(out.substr(start == std::string::npos ? 0 : start + 1));
}

TEST_F(ObjectiveCli, BadSettingsAreOneLineUsageErrors) {
  const std::string out = " --out " + temp_dir("objective_bad") + "/run";
  const std::pair<const char*, const char*> cases[] = {
      {" --optimizer nadam", "--optimizer: 'nadam' is not sgd, adam, adamw or rmsprop"},
      {" --loss hinge", "--loss: 'hinge' is not ce or mse"},
      {" --lr-schedule linear", "--lr-schedule: 'linear' is not constant, cosine or step"},
      {" --beta1 0.5", "--beta1: not a setting of --optimizer sgd"},
      {" --optimizer adam --momentum 0.5", "--momentum: not a setting of --optimizer adam"},
      {" --optimizer adamw --nesterov", "--nesterov: not a setting of --optimizer adamw"},
      {" --optimizer rmsprop --beta2 0.9", "--beta2: not a setting of --optimizer rmsprop"},
      {" --optimizer adam --beta2 1", "--beta2: must be in [0, 1)"},
      {" --optimizer adam --eps -1", "--eps: must be in [0, inf)"},
      {" --optimizer rmsprop --alpha 1.5", "--alpha: must be in [0, 1]"},
      {" --optimizer rmsprop --momentum 1", "--momentum: must be in [0, 1)"},
      {" --lr-schedule step --lr-gamma 0", "--lr-gamma: must be in (0, 1]"},
      {" --lr-schedule step --lr-step-epochs 0", "--lr-step-epochs: must be a number in (0, 1e6]"},
  };
  for (const auto& [flags, message] : cases) {
    const auto r = run_cli(base() + out + flags);
    EXPECT_EQ(r.code, 2) << flags << ": " << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << flags << ": " << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
  }
  EXPECT_FALSE(fs::exists(temp_dir("objective_bad") + "/run")) << "no folder for a refused run";
}

TEST_F(ObjectiveCli, EachOptimizerHasItsOwnDefaults) {
  const std::string d = temp_dir("objective_defaults");
  struct Case {
    std::string flags;
    double lr, momentum, weight_decay;
  };
  const Case cases[] = {
      {"", 0.01, 0.9, 0.0},                                   // the seed's SGD
      {"--optimizer adam", 1e-3, -1, 0.0},                    // torch.optim.Adam
      {"--optimizer adamw", 1e-3, -1, 0.01},                  // torch.optim.AdamW
      {"--optimizer adamw --weight-decay 0", 1e-3, -1, 0.0},  // typed wins
      {"--optimizer rmsprop", 1e-2, 0.0, 0.0},                // torch.optim.RMSprop
      {"--optimizer rmsprop --lr 0.003 --momentum 0.5", 0.003, 0.5, 0.0},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string run = d + "/" + std::to_string(i++);
    const auto r = run_cli(base() + " --iterations 3 --out " + run + " " + c.flags);
    ASSERT_EQ(r.code, 0) << c.flags << ": " << r.err;
    const auto s = settings(run);
    EXPECT_EQ(s["lr"].get<double>(), c.lr) << c.flags;
    if (c.momentum >= 0) {
      EXPECT_EQ(s["momentum"].get<double>(), c.momentum) << c.flags;
    }
    EXPECT_EQ(s["weight_decay"].get<double>(), c.weight_decay) << c.flags;
    EXPECT_EQ(s["beta2"].get<double>(), 0.999);
    EXPECT_EQ(s["eps"].get<double>(), 1e-8);
  }
}

// seed-2d's lr 0.1 and momentum 0.9 are SGD settings: Adam keeps torch's 0.001.
TEST_F(ObjectiveCli, PresetRatesAreSgdsOnly) {
  const std::string d = temp_dir("objective_preset");
  const std::string common = "train --preset seed-2d --data moons --n 64 --epochs 1 --quiet --out ";
  ASSERT_EQ(run_cli(common + d + "/sgd").code, 0);
  EXPECT_EQ(settings(d + "/sgd")["lr"].get<double>(), 0.1);
  ASSERT_EQ(run_cli(common + d + "/adam --optimizer adam").code, 0);
  EXPECT_EQ(settings(d + "/adam")["lr"].get<double>(), 1e-3);
  EXPECT_EQ(settings(d + "/adam")["optimizer"].get<std::string>(), "adam");
}

// Every optimizer trains the easy synthetic classes (a broken update would not).
TEST_F(ObjectiveCli, EveryOptimizerLearns) {
  for (const char* flags :
       {"--optimizer adam", "--optimizer adamw", "--optimizer rmsprop --lr 1e-3",
        "--lr-schedule cosine --lr 0.05", "--loss mse --lr 0.5"}) {
    const auto r = run_cli(base() + " --epochs 1 --json --out " + temp_dir("objective_learns") +
                           "/run " + flags);
    ASSERT_EQ(r.code, 0) << flags << ": " << r.err;
    EXPECT_GT(last_json_line(r.out)["test_accuracy"].get<double>(), 0.9) << flags;
  }
}

// metrics.csv's last column is the rate of the step before each evaluation.
TEST_F(ObjectiveCli, MetricsHoldTheScheduledRate) {
  const std::string d = temp_dir("objective_cosine");
  ASSERT_EQ(
      run_cli(base() + " --epochs 1 --lr 0.04 --lr-schedule cosine --eval-every 10 --out " + d)
          .code,
      0);
  std::istringstream in(slurp(d + "/metrics.csv"));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "step,epoch,train_loss,test_loss,test_accuracy,samples_per_second,lr");
  int rows = 0;
  while (std::getline(in, line)) {
    const long step = std::stol(line.substr(0, line.find(',')));
    const double lr = std::stod(line.substr(line.rfind(',') + 1));
    const double want = 0.04 * (1 + std::cos(M_PI * (step - 1) / 38.0)) / 2;
    EXPECT_NEAR(lr, want, 1e-8 * 0.04) << line;
    ++rows;
  }
  EXPECT_EQ(rows, 4);  // steps 10, 20, 30, 38
  const std::string s = "step schedule";
  const std::string e = temp_dir("objective_step");
  ASSERT_EQ(
      run_cli(base() + " --epochs 2 --lr 0.04 --lr-schedule step --lr-gamma 0.5 --out " + e).code,
      0);
  const std::string csv = slurp(e + "/metrics.csv");
  EXPECT_NE(csv.find("\n38,1,"), std::string::npos) << csv;
  EXPECT_NE(csv.substr(csv.find("\n38,1,")).find(",0.04\n"), std::string::npos) << s << csv;
  EXPECT_NE(csv.find(",0.02\n"), std::string::npos) << s << ": epoch 2 at half the rate\n" << csv;
}

// A model trained on mse reports mse in eval too, as during training.
TEST_F(ObjectiveCli, EvalUsesTheTrainingLoss) {
  const std::string d = temp_dir("objective_eval");
  const auto t = run_cli(base() + " --epochs 1 --loss mse --lr 0.5 --json --out " + d);
  ASSERT_EQ(t.code, 0) << t.err;
  const auto e = run_cli("eval --model " + d + "/model.safetensors --data-dir " + *data_ +
                         " --threads 1 --json");
  ASSERT_EQ(e.code, 0) << e.err;
  const double tl = last_json_line(t.out)["test_loss"], el = last_json_line(e.out)["test_loss"];
  EXPECT_NEAR(el, tl, 1e-9);
  EXPECT_LT(el, 0.09) << "mse below the chance level (K-1)/K^2";
}

TEST_F(ObjectiveCli, ResumeRefusesAnotherObjective) {
  const std::string d = temp_dir("objective_resume");
  ASSERT_EQ(run_cli(base() + " --iterations 5 --out " + d).code, 0);
  for (const char* f : {"--optimizer adam", "--loss mse", "--lr-schedule cosine", "--beta1 0.8"}) {
    const auto r = run_cli("train --quiet --resume " + d + " --iterations 10 " + f);
    EXPECT_EQ(r.code, 2) << f;
    EXPECT_NE(r.err.find("not with --resume"), std::string::npos) << r.err;
  }
}

TEST(GradcheckCli, EveryLossPasses) {
  for (const char* loss : {"ce", "mse"}) {
    const auto r =
        run_cli(std::string("gradcheck --arch 'conv(2,3) relu flatten linear(5)' --input "
                            "1x6x6 --loss ") +
                loss);
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("PASS"), std::string::npos) << r.out;
  }
  EXPECT_EQ(run_cli("gradcheck --preset seed-mlp --loss l1").code, 2);
}

}  // namespace
