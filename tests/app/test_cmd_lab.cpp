// `handgrad lab`, the real binary: SIGINT and SIGTERM stop it cleanly.
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>

#include "handgrad/model/model_file.h"
#include "support/lab_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h, support/lab_util.h)

namespace handgrad {
namespace {

using nlohmann::json;

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
    ::execl(HANDGRAD_BIN, HANDGRAD_BIN, "lab", "--port", "0", "--token", test::kLabToken, "--out",
            (dir + "/runs").c_str(), static_cast<char*>(nullptr));
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
  c.set_default_headers({{"Authorization", std::string("Bearer ") + test::kLabToken}});
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
