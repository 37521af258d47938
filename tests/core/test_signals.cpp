// Signals (issue 14, item 6): a closed pipe and a file size limit are write
// errors, not kills; the stop flag a training loop polls for SIGINT/SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "handgrad/core/signals.h"
#include "support/test_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace handgrad {
namespace {

namespace fs = std::filesystem;

struct Dir {
  fs::path path;
  explicit Dir(const std::string& tag)
      : path(fs::path(::testing::TempDir()) /
             ("hg_sig_" + tag + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Dir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

int status_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// `train --seeds 3 | head -1`: head leaves after the first seed's line; the
// next print used to kill the run by SIGPIPE (exit 141) before seeds 2 and 3
// were trained. Now the rest of stdout is lost and every seed is saved.
TEST(Signals, ClosedPipeDoesNotStopTheRun) {
  Dir d("pipe");
  const std::string cmd = std::string("bash -c '") + HANDGRAD_BIN +
                          " train --preset seed-2d --data moons --n 200 --iterations 20 --threads 1"
                          " --quiet --seeds 3 --out " +
                          (d / "runs") + " | head -1 >/dev/null; exit ${PIPESTATUS[0]}'";
  const int code = status_code(std::system(cmd.c_str()));
  EXPECT_EQ(code, 0) << "killed by signal " << code - 128;
  for (const char* s : {"seed-0", "seed-1", "seed-2"}) {
    EXPECT_TRUE(fs::exists(d / ("runs/" + std::string(s) + "/model.safetensors"))) << s;
  }
}

// Under ulimit -f, SIGXFSZ killed the writer (exit 153) and left
// "<file>.tmp.<pid>"; now it is an error naming the file, and nothing stays.
TEST(Signals, FileSizeLimitIsAnErrorAndLeavesNoTemporary) {
  Dir d("fsize");
  const auto r =
      run_cli("data make moons --n 20000 --out " + (d / "big.csv"), "prlimit --fsize=4096");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find(d / "big.csv"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("file too large"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_EQ(std::distance(fs::directory_iterator(d.path), {}), 0) << "a file was left behind";
}

// The plumbing the training Session polls: in a child process (the handlers
// are process-wide), SIGTERM sets the flag, the loop exits with 143; a
// second signal kills at once.
TEST(Signals, StopRequestIsPolledAndASecondSignalKills) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(ready[0]);
    install_stop_handlers();
    ::alarm(20);
    if (::write(ready[1], "r", 1) != 1) ::_exit(90);
    while (stop_requested() == 0) ::usleep(1000);  // "steps"
    ::_exit(stop_exit_code(stop_requested()));
  }
  ::close(ready[1]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_EQ(status_code(status), 143) << "the loop did not see SIGTERM";

  const pid_t twice = ::fork();
  if (twice == 0) {
    install_stop_handlers();
    ::raise(SIGINT);
    if (stop_requested() != SIGINT) ::_exit(91);
    ::raise(SIGTERM);  // the second request: default action
    ::_exit(92);
  }
  ::waitpid(twice, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)
      << "exit status " << status_code(status);
  EXPECT_EQ(stop_exit_code(SIGINT), 130);
}

}  // namespace
}  // namespace handgrad
