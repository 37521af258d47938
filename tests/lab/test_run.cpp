// Lab runs through the API: pause / step / reset, one engine (the exported
// model is bit-identical to the one its printed `handgrad train` command
// makes), and a diverging run.
#include <fstream>

#include "handgrad/model/model_file.h"
#include "support/lab_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h, support/lab_util.h)

namespace handgrad {
namespace {

using nlohmann::json;

TEST(LabRuns, StepPausePlayReset) {
  LabFixture lab("control");
  auto c = lab.client();
  const std::string id = create(*c, {{"preset", "seed-2d"}, {"n", 200}, {"epochs", 3}});
  wait_state(*c, id, "paused");
  EXPECT_EQ(json::parse(c->Get("/api/runs/" + id)->body)["step"], 0);
  control(*c, id, {{"action", "step"}});
  wait_step(*c, id, 1);
  control(*c, id, {{"action", "step"}, {"steps", 7}});
  const json at8 = wait_step(*c, id, 8);
  EXPECT_EQ(at8["total"], 30);  // 3 epochs of ceil(160 / 16) steps
  // The boundary at step 8: an N x N grid of probabilities that sum to 1.
  const json b = json::parse(c->Get("/api/runs/" + id + "/boundary?res=7")->body);
  ASSERT_EQ(b["probs"].size(), 7u * 7 * 2) << b.dump();
  EXPECT_EQ(b["step"], 8);
  EXPECT_NEAR(b["probs"][0].get<double>() + b["probs"][1].get<double>(), 1.0, 1e-3);
  EXPECT_LT(b["x0"].get<double>(), b["x1"].get<double>());
  const json v = json::parse(c->Get("/api/runs/" + id + "/view?res=8&units=4")->body);
  ASSERT_EQ(v["columns"].size(), 7u) << "input, 5 hidden ReLU layers, softmax";
  EXPECT_EQ(v["columns"][3]["units"].size(), 32u);
  EXPECT_EQ(v["weights"].size(), 6u);
  EXPECT_EQ(c->Get("/api/runs/" + id + "/boundary?res=100000")->status, 400);
  control(*c, id, {{"action", "play"}});
  const json done = wait_state(*c, id, "finished");
  EXPECT_EQ(done["step"], 30);
  EXPECT_TRUE(done["result"].contains("confusion"));
  EXPECT_EQ(
      c->Post("/api/runs/" + id + "/control", R"({"action":"play"})", "application/json")->status,
      409);
  control(*c, id, {{"action", "reset"}});
  wait_state(*c, id, "paused");
  EXPECT_EQ(json::parse(c->Get("/api/runs/" + id)->body)["step"], 0);
  EXPECT_EQ(
      c->Post("/api/runs/" + id + "/control", R"({"action":"jump"})", "application/json")->status,
      400);
}

// Runs the printed command (with its --out moved to `out`) and returns the model's bytes.
std::string cli_model(const json& command, const std::string& out) {
  std::string args;
  const auto& a = command["args"];
  for (size_t i = 0; i < a.size(); ++i) {
    std::string w = a[i];
    if (i > 0 && a[i - 1] == "--out") w = out;
    args += " '" + w + "'";
  }
  const CliResult r = run_cli(args + " --quiet");
  EXPECT_EQ(r.code, 0) << args << "\n" << r.err;
  return slurp(out + "/model.safetensors");
}

void expect_same_model_as_cli(LabFixture& lab, const json& settings) {
  auto c = lab.client();
  json s = settings;
  s["play"] = true;
  const std::string id = create(*c, s);
  wait_state(*c, id, "finished");
  auto model = c->Get("/api/runs/" + id + "/model.safetensors");
  ASSERT_TRUE(model && model->status == 200);
  const json command = json::parse(c->Get("/api/runs/" + id + "/command")->body);
  const std::string cli = cli_model(command, lab.dir + "/cli-" + id);
  ASSERT_FALSE(cli.empty());
  EXPECT_EQ(model->body.size(), cli.size());
  EXPECT_TRUE(model->body == cli) << "the lab's model differs from `" << command["command"]
                                  << "`'s";
  // And it is a model: it loads.
  std::ofstream(lab.dir + "/lab-model.safetensors", std::ios::binary) << model->body;
  EXPECT_NO_THROW(load_model(lab.dir + "/lab-model.safetensors"));
}

TEST(LabRuns, ExportIsBitIdenticalToItsTrainCommand) {
  LabFixture lab("identity");
  expect_same_model_as_cli(lab, {{"preset", "seed-2d"},
                                 {"data", "circles"},
                                 {"n", 300},
                                 {"noise", 0.08},
                                 {"data_seed", 3},
                                 {"epochs", 4},
                                 {"seed", 5}});
  expect_same_model_as_cli(lab, {{"arch", "linear(6) relu linear(2)"},
                                 {"data", "xor"},
                                 {"iterations", 37},
                                 {"batch_size", 5},
                                 {"lr", 0.03},
                                 {"momentum", 0.5},
                                 {"weight_decay", 1e-4},
                                 {"standardize", true},
                                 {"test_fraction", 0.3},
                                 {"init", "xavier"}});
  expect_same_model_as_cli(lab, {{"preset", "seed-2d"}, {"seed_settings", true}, {"epochs", 2}});
  // Another optimizer, loss and schedule travel into the command too.
  expect_same_model_as_cli(lab, {{"arch", "linear(8) tanh linear(2)"},
                                 {"data", "moons"},
                                 {"epochs", 3},
                                 {"optimizer", "adam"},
                                 {"lr", 0.005},
                                 {"beta2", 0.99},
                                 {"loss", "mse"},
                                 {"lr_schedule", "cosine"}});
  expect_same_model_as_cli(lab, {{"preset", "seed-2d"},
                                 {"epochs", 2},
                                 {"optimizer", "rmsprop"},
                                 {"lr", 0.002},
                                 {"momentum", 0.3},
                                 {"lr_schedule", "step"},
                                 {"lr_gamma", 0.5},
                                 {"lr_step_epochs", 1}});
}

TEST(LabRuns, ExportOfDrawnPointsIsBitIdenticalToItsTrainCommand) {
  LabFixture lab("points");
  json train = json::array(), test = json::array();
  for (int i = 0; i < 120; ++i) {
    const double x = std::cos(i * 0.37) * (1 + (i % 3) * 0.1), y = std::sin(i * 0.53);
    (i % 5 == 0 ? test : train).push_back({x, y, (x * y > 0) ? 1 : 0});
  }
  expect_same_model_as_cli(lab, {{"preset", "seed-2d"},
                                 {"points", {{"train", train}, {"test", test}}},
                                 {"epochs", 3},
                                 {"batch_size", 8}});
}

TEST(LabRuns, MnistExportIsBitIdenticalToItsTrainCommand) {
  const std::string mnist = mnist_dir();
  if (mnist.empty()) GTEST_SKIP() << "no MNIST (set HANDGRAD_DATA)";
  lab::LabOptions o;
  o.data_dir = std::filesystem::path(mnist).parent_path().string();
  LabFixture lab("mnist", o);
  expect_same_model_as_cli(lab, {{"preset", "seed-cnn"},
                                 {"data", "mnist"},
                                 {"train_limit", 400},
                                 {"test_limit", 100},
                                 {"iterations", 30},
                                 {"threads", 2}});
}

// A run that diverges ends in "error" with train()'s own message; the lab stays up.
TEST(LabRuns, DivergenceIsAnErrorStateNotACrash) {
  LabFixture lab("diverge");
  auto c = lab.client();
  const std::string id = create(
      *c,
      {{"preset", "seed-2d"}, {"seed_settings", true}, {"lr", 1e9}, {"epochs", 3}, {"play", true}});
  const json j = wait_state(*c, id, "error");
  EXPECT_NE(j.value("message", "").find("diverged"), std::string::npos) << j.dump();
  EXPECT_EQ(
      c->Post("/api/runs/" + id + "/control", R"({"action":"play"})", "application/json")->status,
      409);
  EXPECT_EQ(c->Get("/api/layers")->status, 200);
}

}  // namespace
}  // namespace handgrad
