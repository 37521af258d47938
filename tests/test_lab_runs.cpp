// Lab runs through the API: pause / step / reset, one engine (the exported
// model is bit-identical to the one its printed `handgrad train` command
// makes), the per-layer probe against the network's own gradient, and a
// clean shutdown of the real binary on SIGINT.
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <numeric>

#include "cli_util.h"
#include "handgrad/data/data_source.h"
#include "handgrad/data/standardize.h"
#include "handgrad/layers/loss.h"
#include "handgrad/model/model_file.h"
#include "lab_probe.h"
#include "lab_util.h"
#include "test_data_dir.h"

namespace handgrad {
namespace {

using nlohmann::json;
using testing::LabFixture;

std::string create(httplib::Client& c, const json& settings) {
  auto r = c.Post("/api/runs", settings.dump(), "application/json");
  EXPECT_TRUE(r);
  if (!r) return "";
  EXPECT_EQ(r->status, 201) << r->body;
  return json::parse(r->body).value("id", "");
}

json control(httplib::Client& c, const std::string& id, const json& body) {
  auto r = c.Post("/api/runs/" + id + "/control", body.dump(), "application/json");
  EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
  return r ? json::parse(r->body) : json();
}

json wait_step(httplib::Client& c, const std::string& id, long step) {
  json j;
  for (int i = 0; i < 3000; ++i) {
    j = json::parse(c.Get("/api/runs/" + id)->body);
    if (j["step"] == step && j["state"] == "paused") return j;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "run did not stop at step " << step << ": " << j.dump();
  return j;
}

TEST(LabRuns, StepPausePlayReset) {
  LabFixture lab("control");
  auto c = lab.client();
  const std::string id = create(*c, {{"preset", "seed-2d"}, {"n", 200}, {"epochs", 3}});
  testing::wait_state(*c, id, "paused");
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
  const json done = testing::wait_state(*c, id, "finished");
  EXPECT_EQ(done["step"], 30);
  EXPECT_TRUE(done["result"].contains("confusion"));
  EXPECT_EQ(
      c->Post("/api/runs/" + id + "/control", R"({"action":"play"})", "application/json")->status,
      409);
  control(*c, id, {{"action", "reset"}});
  testing::wait_state(*c, id, "paused");
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
  testing::wait_state(*c, id, "finished");
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
  const std::string mnist = testing::mnist_dir();
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

// The playground's views and the exported model see the same raw inputs:
// the network carries its input step (seed-2d standardises), so the heat
// map is the model file's own probabilities at the grid's cell centres, and
// the points are the generator's, unstandardised.
TEST(LabRuns, ViewsSeeRawInputsAsTheModelFileDoes) {
  LabFixture lab("raw");
  auto c = lab.client();
  const std::string id = create(
      *c, {{"preset", "seed-2d"}, {"data", "moons"}, {"n", 200}, {"epochs", 5}, {"play", true}});
  testing::wait_state(*c, id, "finished");
  auto model = c->Get("/api/runs/" + id + "/model.safetensors");
  ASSERT_TRUE(model && model->status == 200);
  const std::string file = lab.dir + "/raw-model.safetensors";
  std::ofstream(file, std::ios::binary) << model->body;
  const LoadedModel m = load_model(file);
  ASSERT_FALSE(m.net.input_norm().empty()) << "seed-2d standardises its inputs";

  const int res = 9;
  const json b = json::parse(c->Get("/api/runs/" + id + "/boundary?res=9")->body);
  ASSERT_EQ(b["probs"].size(), static_cast<size_t>(res * res * 2)) << b.dump();
  const double x0 = b["x0"], x1 = b["x1"], y0 = b["y0"], y1 = b["y1"];
  std::vector<float> grid;
  for (int r = 0; r < res; ++r) {
    for (int col = 0; col < res; ++col) {
      grid.push_back(static_cast<float>(x0 + (col + 0.5) * (x1 - x0) / res));
      grid.push_back(static_cast<float>(y1 - (r + 0.5) * (y1 - y0) / res));
    }
  }
  Workspace<float> ws;
  const float* logits = m.net.forward(grid.data(), res * res, ws);
  std::vector<float> probs(grid.size());
  softmax(logits, res * res, 2, probs.data());
  for (size_t i = 0; i < probs.size(); ++i) {
    ASSERT_NEAR(b["probs"][i].get<double>(), probs[i], 1e-4) << "grid value " << i;
  }

  DataArgs a;
  a.data = "moons";
  a.n = 200;
  const TrainTest data = load_data(a);
  const json pts = json::parse(c->Get("/api/runs/" + id + "/points")->body);
  ASSERT_EQ(pts["train"].size(), static_cast<size_t>(data.train.size()));
  for (int i = 0; i < data.train.size(); ++i) {
    ASSERT_EQ(pts["train"][i][0].get<float>(), data.train.sample(i)[0]) << "point " << i;
    ASSERT_EQ(pts["train"][i][1].get<float>(), data.train.sample(i)[1]) << "point " << i;
  }
}

// The probe's backward pass, layer by layer, gives the network's own
// gradient of -log softmax(logits)[target] (Network::loss_and_grad), with
// the network's input step included (dL/dx is for the raw input).
TEST(LabRuns, ProbeGradientsAreTheNetworksOwn) {
  Network<float> net("conv(3,5) relu maxpool(2) flatten linear(16) relu linear(10)", {1, 28, 28});
  net.init(7);
  net.set_input_norm(mnist_normalization(784));
  Rng rng(3);
  std::vector<float> x(784);
  for (float& v : x) v = rng.uniform01();
  for (int target : {2, 7}) {
    const lab::Probe p = lab::run_probe(net, x, target);
    Workspace<float> ws;
    std::vector<float> g(net.num_params(), 0.0f), dx(784);
    net.loss_and_grad(x.data(), &target, 1, 1, ws, g.data(), dx.data());
    for (size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(p.grads[i], g[i], 1e-6) << "param " << i;
    for (size_t i = 0; i < dx.size(); ++i) ASSERT_NEAR(p.dinput[i], dx[i], 1e-6) << "input " << i;
    EXPECT_EQ(p.target, target);
    EXPECT_NEAR(std::accumulate(p.probs.begin(), p.probs.end(), 0.0), 1.0, 1e-5);
  }
}

// A run that diverges ends in "error" with train()'s own message; the lab stays up.
TEST(LabRuns, DivergenceIsAnErrorStateNotACrash) {
  LabFixture lab("diverge");
  auto c = lab.client();
  const std::string id = create(
      *c,
      {{"preset", "seed-2d"}, {"seed_settings", true}, {"lr", 1e9}, {"epochs", 3}, {"play", true}});
  const json j = testing::wait_state(*c, id, "error");
  EXPECT_NE(j.value("message", "").find("diverged"), std::string::npos) << j.dump();
  EXPECT_EQ(
      c->Post("/api/runs/" + id + "/control", R"({"action":"play"})", "application/json")->status,
      409);
  EXPECT_EQ(c->Get("/api/layers")->status, 200);
}

// `handgrad lab` on SIGINT or SIGTERM: stops a run in the middle of
// training, exits 0, leaves no temporary file behind.
class LabSignal : public ::testing::TestWithParam<int> {};

TEST_P(LabSignal, StopsTheBinaryCleanly) {
  const int sig = GetParam();
  const std::string dir =
      ::testing::TempDir() + "lab_signal" + std::to_string(sig) + "_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string out = dir + "/stdout", err = dir + "/stderr";
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::freopen(out.c_str(), "w", stdout);
    std::freopen(err.c_str(), "w", stderr);
    ::execl(HANDGRAD_BIN, HANDGRAD_BIN, "lab", "--port", "0", "--token", testing::kLabToken,
            "--out", (dir + "/runs").c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  int port = 0;
  for (int i = 0; i < 500 && port == 0; ++i) {
    const std::string s = slurp(out);
    const size_t at = s.find("127.0.0.1:");
    if (at != std::string::npos) port = std::atoi(s.c_str() + at + 10);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GT(port, 0) << slurp(err);
  httplib::Client c("127.0.0.1", port);
  c.set_default_headers({{"Authorization", std::string("Bearer ") + testing::kLabToken}});
  // Checkpoints every epoch of a long run: files are being written when the signal comes.
  auto r = c.Post(
      "/api/runs",
      json{{"preset", "seed-2d"}, {"epochs", 100000}, {"checkpoint_every", 1}, {"play", true}}
          .dump(),
      "application/json");
  ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "");
  const std::string id = json::parse(r->body)["id"];
  for (int i = 0; i < 500; ++i) {
    if (json::parse(c.Get("/api/runs/" + id)->body)["step"].get<long>() > 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto t0 = std::chrono::steady_clock::now();
  ::kill(pid, sig);
  int status = -1;
  for (int i = 0; i < 1000; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!WIFEXITED(status) && !WIFSIGNALED(status)) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    FAIL() << "still running 10 s after signal " << sig;
  }
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << slurp(err);
  EXPECT_LT(secs, 10);
  EXPECT_NE(slurp(err).find("stopped"), std::string::npos) << slurp(err);
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir + "/runs")) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  }
  EXPECT_TRUE(std::filesystem::exists(dir + "/runs/" + id + "/run/model.safetensors"));
  EXPECT_NO_THROW(load_model(dir + "/runs/" + id + "/run/model.safetensors"));
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(LabRuns, LabSignal, ::testing::Values(SIGINT, SIGTERM));

}  // namespace
}  // namespace handgrad
