// Issue 14, item 6: SIGINT and SIGTERM end a training run cleanly. The step
// under way finishes, a checkpoint is written, one line says where the run
// stopped and how to resume it, and the exit code is 130 / 143; the
// checkpoint resumes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/train_fixture.h"

using namespace handgrad::test;

namespace handgrad {
namespace {

// A run far longer than the test: only the signal ends it. No checkpoint
// before the end, so the one found afterwards is the interrupt's.
const std::string kLong =
    "train --preset seed-2d --data moons --n 240 --threads 1 --quiet --batch-size 16 "
    "--checkpoint-every 0 --iterations 100000000 --eval-every 100000000";

// Waits up to `seconds` for pid to exit; SIGKILLs it after that. Returns
// its wait status.
int wait_or_kill(pid_t pid, int seconds) {
  int status = 0;
  for (int i = 0; i < 10 * seconds; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    ::usleep(100000);
  }
  return kill_and_reap(pid);
}

class Interrupt : public ::testing::TestWithParam<int> {};

TEST_P(Interrupt, WritesACheckpointAndSaysHowToResume) {
  const int sig = GetParam();
  const TempDir d("interrupt");
  const std::string out = d.file("run"), err = d.file("err.txt");
  const pid_t pid = spawn_handgrad(kLong + " --out " + out, "", err);
  ASSERT_GT(pid, 0);
  // The folder's lock is taken once every input has loaded, just before
  // the first step.
  bool started = false;
  for (int i = 0; i < 600 && !started; ++i) {
    started = fs::exists(out + "/.lock");
    if (!started) ::usleep(100000);
  }
  ::usleep(300000);  // some steps
  ::kill(pid, sig);
  const int status = wait_or_kill(pid, 30);
  ASSERT_TRUE(started) << "the run never claimed its folder";
  ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 128 + sig);
  const std::string msg = slurp(err);
  EXPECT_EQ(count_lines(msg), 1) << msg;

  const auto state = nlohmann::json::parse(slurp(out + "/state.json"));
  const long step = state["step"].get<long>();
  EXPECT_GT(step, 0);
  EXPECT_FALSE(state["finished"].get<bool>());
  EXPECT_NE(msg.find(std::string("interrupted by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                     " at step " + std::to_string(step) +
                     " of 100000000; checkpoint written; "
                     "resume with: handgrad train --resume " +
                     out),
            std::string::npos)
      << msg;
  EXPECT_FALSE(fs::exists(out + "/.lock")) << "the lock outlived the run";

  // The checkpoint resumes: ten more steps.
  const auto r =
      run_cli("train --quiet --resume " + out + " --iterations " + std::to_string(step + 10));
  ASSERT_EQ(r.code, 0) << r.all;
  EXPECT_EQ(nlohmann::json::parse(slurp(out + "/state.json"))["step"].get<long>(), step + 10);
}

INSTANTIATE_TEST_SUITE_P(Signals, Interrupt, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& info) {
                           return info.param == SIGINT ? "sigint" : "sigterm";
                         });

}  // namespace
}  // namespace handgrad
