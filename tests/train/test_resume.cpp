// Determinism and checkpoints: the same seed and thread count give the same
// bytes; a run interrupted after an epoch, or in the middle of one, and
// resumed ends with exactly the model and momentum of an uninterrupted run.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "handgrad/train/trainer.h"
#include "support/train_fixture.h"

using namespace handgrad::test;

namespace {

class TrainRuns : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new std::string(synthetic_mnist("resume_data"));
    full_ = new std::string(temp_dir("full"));
    full_json_ = new std::string;
    const auto r = run_cli(args(2) + " --out " + *full_ + " --json");
    ASSERT_EQ(r.code, 0) << r.err;
    *full_json_ = r.out;
  }
  static void TearDownTestSuite() {
    delete data_;
    delete full_;
    delete full_json_;
  }
  static std::string args(int epochs) {
    return "train --preset seed-mlp --data-dir " + *data_ +
           " --threads 1 --quiet --batch-size 16 --lr 0.05 --eval-every 25 --epochs " +
           std::to_string(epochs);
  }
  static std::string* data_;
  static std::string* full_;
  static std::string* full_json_;
};
std::string* TrainRuns::data_ = nullptr;
std::string* TrainRuns::full_ = nullptr;
std::string* TrainRuns::full_json_ = nullptr;

nlohmann::json last_json_line(const std::string& out) {
  const size_t end = out.find_last_not_of('\n');
  const size_t start = out.rfind('\n', end);
  return nlohmann::json::parse(out.substr(start == std::string::npos ? 0 : start + 1));
}

TEST_F(TrainRuns, RunFolderHoldsEverything) {
  for (const char* f : {"model.safetensors", "optimizer.safetensors", "state.json", "metrics.csv",
                        "loss.png", "accuracy.png", "confusion.png"}) {
    EXPECT_TRUE(fs::exists(*full_ + "/" + f)) << f;
  }
  const auto j = last_json_line(*full_json_);
  for (const char* k :
       {"test_accuracy", "test_loss", "train_seconds", "samples_per_second", "model"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  // The synthetic classes are easy: a working trainer separates them.
  EXPECT_GT(j["test_accuracy"].get<double>(), 0.9);
  // 600 samples / 16 = 38 steps per epoch (last batch of 8 kept); 2 epochs;
  // rows at steps 25, 38, 50, 75, 76.
  EXPECT_EQ(j["steps"].get<long>(), 76);
  const std::string csv = slurp(*full_ + "/metrics.csv");
  EXPECT_EQ(count_lines(csv), 1 + 5) << csv;
  EXPECT_NE(csv.find("\n38,1,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\n76,2,"), std::string::npos) << csv;
}

TEST_F(TrainRuns, SameSeedSameThreadsIsBitIdentical) {
  const std::string again = temp_dir("again"), other = temp_dir("other_seed");
  ASSERT_EQ(run_cli(args(2) + " --out " + again).code, 0);
  EXPECT_EQ(slurp(again + "/model.safetensors"), slurp(*full_ + "/model.safetensors"));
  ASSERT_EQ(run_cli(args(2) + " --out " + other + " --seed 1").code, 0);
  EXPECT_NE(slurp(other + "/model.safetensors"), slurp(*full_ + "/model.safetensors"));
}

TEST_F(TrainRuns, TwoThreadsAreBitIdenticalToo) {
  const std::string a = temp_dir("threads2_a"), b = temp_dir("threads2_b");
  const std::string cmd = "train --preset seed-cnn --data-dir " + *data_ +
                          " --threads 2 --quiet --batch-size 16 --epochs 1 --train-limit 300"
                          " --test-limit 50 --out ";
  ASSERT_EQ(run_cli(cmd + a).code, 0);
  ASSERT_EQ(run_cli(cmd + b).code, 0);
  EXPECT_EQ(slurp(a + "/model.safetensors"), slurp(b + "/model.safetensors"));
}

TEST_F(TrainRuns, ResumeAfterAnEpochIsBitIdentical) {
  const std::string d = temp_dir("resume_epoch");
  ASSERT_EQ(run_cli(args(1) + " --out " + d).code, 0);
  EXPECT_NE(slurp(d + "/model.safetensors"), slurp(*full_ + "/model.safetensors"));
  const auto r = run_cli("train --quiet --resume " + d + " --epochs 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(slurp(d + "/model.safetensors"), slurp(*full_ + "/model.safetensors"));
  EXPECT_EQ(slurp(d + "/optimizer.safetensors"), slurp(*full_ + "/optimizer.safetensors"));
  EXPECT_EQ(slurp(d + "/metrics.csv").substr(0, 60), slurp(*full_ + "/metrics.csv").substr(0, 60));
}

TEST_F(TrainRuns, ResumeMidEpochIsBitIdentical) {
  const std::string d = temp_dir("resume_mid");
  // 30 steps: the second epoch's order must be rebuilt from the saved rng
  // state and the first 30 batches of epoch 1 skipped exactly.
  ASSERT_EQ(run_cli(args(2) + " --out " + d + " --iterations 50").code, 2)
      << "--epochs and --iterations together must be refused";
  const auto first = run_cli("train --preset seed-mlp --data-dir " + *data_ +
                             " --threads 1 --quiet --batch-size 16 --lr 0.05 --eval-every 25"
                             " --iterations 50 --out " +
                             d);
  ASSERT_EQ(first.code, 0) << first.err;
  const auto r = run_cli("train --quiet --resume " + d + " --epochs 2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(slurp(d + "/model.safetensors"), slurp(*full_ + "/model.safetensors"));
  EXPECT_EQ(last_json_line(r.out)["test_accuracy"], last_json_line(*full_json_)["test_accuracy"]);
}

TEST_F(TrainRuns, EvalAgreesWithTraining) {
  const auto r = run_cli("eval --model " + *full_ + "/model.safetensors --data-dir " + *data_ +
                         " --threads 1 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto e = last_json_line(r.out), t = last_json_line(*full_json_);
  EXPECT_DOUBLE_EQ(e["test_accuracy"].get<double>(), t["test_accuracy"].get<double>());
  EXPECT_NEAR(e["test_loss"].get<double>(), t["test_loss"].get<double>(), 1e-9);
}

TEST_F(TrainRuns, BatchOrderIsFollowed) {
  const std::string d = temp_dir("order");
  std::ofstream f(d + "/order.txt");
  for (int s = 0; s < 20; ++s) {
    for (int i = 0; i < 10; ++i) f << (s * 10 + i) << (i < 9 ? " " : "\n");
  }
  f.close();
  const std::string common = "train --preset seed-mlp --data-dir " + *data_ +
                             " --threads 1 --quiet --lr 0.05 --json --batch-order " + d +
                             "/order.txt --out ";
  const auto a = run_cli(common + d + "/a");
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(last_json_line(a.out)["steps"].get<long>(), 20);
  ASSERT_EQ(run_cli(common + d + "/b").code, 0);
  EXPECT_EQ(slurp(d + "/a/model.safetensors"), slurp(d + "/b/model.safetensors"));
  // A different order gives a different model.
  std::ofstream(d + "/order2.txt") << "0 1 2 3 4 5 6 7 8 9\n";
  const auto c = run_cli(common + d + "/c --batch-order " + d + "/order2.txt");
  EXPECT_NE(c.code, 0) << "two --batch-order flags must be refused";
  const auto c2 = run_cli("train --preset seed-mlp --data-dir " + *data_ +
                          " --threads 1 --quiet --lr 0.05 --batch-order " + d +
                          "/order2.txt --out " + d + "/c");
  ASSERT_EQ(c2.code, 0) << c2.err;
  EXPECT_NE(slurp(d + "/c/model.safetensors"), slurp(d + "/a/model.safetensors"));
}

TEST_F(TrainRuns, StandardizeIsStoredAndUsedByEval) {
  const std::string d = temp_dir("standardize");
  const auto t = run_cli(args(1) + " --standardize --json --out " + d);
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_NE(slurp(d + "/model.safetensors").find("\"standardize\""), std::string::npos);
  const auto e = run_cli("eval --model " + d + "/model.safetensors --data-dir " + *data_ +
                         " --threads 1 --json");
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_DOUBLE_EQ(last_json_line(e.out)["test_accuracy"].get<double>(),
                   last_json_line(t.out)["test_accuracy"].get<double>());
}

TEST_F(TrainRuns, SeedsReportTheSpread) {
  const std::string d = temp_dir("seeds");
  const auto r = run_cli(args(1) + " --seeds 3 --json --out " + d);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = last_json_line(r.out);
  ASSERT_EQ(j["seeds"].size(), 3u);
  EXPECT_LE(j["test_accuracy_min"].get<double>(), j["test_accuracy_median"].get<double>());
  EXPECT_LE(j["test_accuracy_median"].get<double>(), j["test_accuracy_max"].get<double>());
  EXPECT_TRUE(fs::exists(d + "/seed-2/model.safetensors"));
  EXPECT_NE(r.out.find("median"), std::string::npos);
}

TEST(ClipGradNorm, ScalesLikeTorch) {
  float g[2] = {3, 4};  // norm 5
  EXPECT_DOUBLE_EQ(handgrad::clip_grad_norm(g, 2, 1.0), 5.0);
  EXPECT_NEAR(g[0], 3 / (5 + 1e-6), 1e-7);
  EXPECT_NEAR(g[1], 4 / (5 + 1e-6), 1e-7);
  float h[2] = {0.3f, 0.4f};  // norm 0.5 < 1: untouched
  handgrad::clip_grad_norm(h, 2, 1.0);
  EXPECT_EQ(h[0], 0.3f);
  EXPECT_EQ(h[1], 0.4f);
}

}  // namespace

namespace {

// A synthetic sample of class c as an 8-bit grayscale PGM, optionally
// black-on-white and at another size (56x56, so predict must resize).
void write_bar_pgm(const std::string& path, int c, bool inverted, int scale) {
  const int n = 28 * scale;
  std::ofstream f(path, std::ios::binary);
  f << "P5\n" << n << " " << n << "\n255\n";
  for (int r = 0; r < n; ++r) {
    for (int col = 0; col < n; ++col) {
      const int row = r / scale;
      int v = (row == 2 * c + 4 || row == 2 * c + 5) ? 220 : 40;
      if (inverted) v = 255 - v;
      f.put(static_cast<char>(v));
    }
  }
}

TEST_F(TrainRuns, PredictNamesTheClassOfImageFiles) {
  const std::string d = temp_dir("predict");
  std::string files, inverted;
  for (int c = 0; c < 10; ++c) {
    write_bar_pgm(d + "/c" + std::to_string(c) + ".pgm", c, false, 1);
    write_bar_pgm(d + "/i" + std::to_string(c) + ".pgm", c, true, 2);
    files += " " + d + "/c" + std::to_string(c) + ".pgm";
    inverted += " " + d + "/i" + std::to_string(c) + ".pgm";
  }
  // The bars are not digits: MNIST's framing (auto's choice for a model
  // trained on "mnist", checked below) would move them all to the centre.
  const std::string model = " --model " + *full_ + "/model.safetensors --fit stretch";
  for (const auto& [args, label] :
       {std::pair{model + " --json" + files, "white on black"},
        std::pair{model + " --json --invert" + inverted, "black on white, 56x56"}}) {
    const auto r = run_cli("predict" + args);
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = last_json_line(r.out);
    ASSERT_EQ(j["predictions"].size(), 10u) << label;
    for (int c = 0; c < 10; ++c) {
      const auto& p = j["predictions"][static_cast<size_t>(c)];
      EXPECT_EQ(p["prediction"].get<int>(), c) << label << ": " << p.dump();
      ASSERT_EQ(p["top"].size(), 3u);
      EXPECT_GE(p["top"][0]["probability"].get<double>(), p["top"][1]["probability"].get<double>());
    }
  }
  const auto fit = run_cli("predict --json --model " + *full_ + "/model.safetensors" + files);
  ASSERT_EQ(fit.code, 0) << fit.err;
  EXPECT_EQ(last_json_line(fit.out)["fit"], "mnist");
  const auto flag =
      run_cli("predict --model " + *full_ + "/model.safetensors --fit centre" + files);
  EXPECT_EQ(flag.code, 2);
  EXPECT_EQ(flag.err, "handgrad: error: --fit: 'centre' is not auto, mnist or stretch\n");
  const auto bad = run_cli("predict" + model + " " + d + "/missing.png");
  EXPECT_EQ(bad.code, 1) << bad.err;
  EXPECT_NE(bad.err.find("missing.png"), std::string::npos) << bad.err;
}

}  // namespace
