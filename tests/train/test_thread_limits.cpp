// Thread counts the machine cannot or should not give (issue 14, item 1): a
// process limit makes the step fail with one line instead of hanging;
// --threads is refused below 1 and above max_threads() by every command;
// workers a step does not use sleep instead of spinning.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "handgrad/core/error.h"
#include "handgrad/model/network.h"
#include "handgrad/train/step_runner.h"
#include "support/test_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace handgrad {
namespace {

struct Limited {
  bool enforced = true;  // false: this machine would not refuse a thread
  bool hung = false;     // the child was still running after 20 s
  int code = -1;         // the child's exit status
  std::string said;      // what `body` returned
};

// Runs `body` in a forked child that may start only two more threads: an
// unprivileged user (root's RLIMIT_NPROC is not enforced, so a root test
// switches to nobody first) with RLIMIT_NPROC = 3, the child itself being
// one. A pool that starts some workers and then fails is the case that hung
// (the started workers still waited on a condition variable being
// destroyed). The child dies of SIGALRM after 20 s, so a hang shows up as
// `hung` instead of blocking the suite.
Limited run_limited(const std::function<std::string()>& body) {
  int fd[2];
  if (::pipe(fd) != 0) return {false, false, -1, "pipe failed"};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fd[0]);
    auto say = [&](const std::string& s) {
      const int code = ::write(fd[1], s.data(), s.size()) < 0 ? 99 : 0;
      ::_exit(code);
    };
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) say("no-limit");
    const rlimit three{3, 3};
    if (::setrlimit(RLIMIT_NPROC, &three) != 0) say("no-limit");
    {
      // Is the limit enforced for this user (no CAP_SYS_RESOURCE)?
      std::vector<std::thread> probe;
      try {
        while (probe.size() < 16) probe.emplace_back([] { ::usleep(100000); });
      } catch (const std::exception&) {
      }
      const bool enforced = probe.size() < 16;
      for (auto& t : probe) t.join();
      if (!enforced) say("no-limit");
    }
    ::alarm(20);
    try {
      say(body());
    } catch (const std::exception& e) {
      say(std::string("exception: ") + e.what());
    }
    say("exception");
  }
  ::close(fd[1]);
  std::string said;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd[0], buf, sizeof buf)) > 0;)
    said.append(buf, static_cast<size_t>(n));
  ::close(fd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  Limited r;
  r.said = said;
  r.enforced = said != "no-limit";
  r.hung = WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

int count_substr(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST(ThreadLimits, StepRunnerFailsCleanlyWhenThreadsCannotStart) {
  const Limited r = run_limited([] {
    Network<float> net("flatten linear(3)", {2});
    try {
      StepRunner runner(net, 8, /*adapt=*/false);
      return std::string("started");
    } catch (const Error& e) {
      return std::string(e.what());
    }
  });
  if (!r.enforced) GTEST_SKIP() << "RLIMIT_NPROC is not enforced for this user: cannot test";
  ASSERT_FALSE(r.hung) << "StepRunner hung when its threads could not start";
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.said.rfind("cannot start 8 worker threads: ", 0), 0u) << r.said;
}

TEST(ThreadLimits, TrainUnderAProcessLimitSaysSoInOneLine) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) / ("hg_nproc_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  ::chmod(dir.c_str(), 0777);  // the child runs as nobody
  const std::string cmd = std::string("exec ") + HANDGRAD_BIN +
                          " train --preset seed-2d --data moons --n 100 --iterations 2 "
                          "--threads 8 --quiet --out " +
                          (dir / "run").string() + " >" + (dir / "out").string() + " 2>" +
                          (dir / "err").string() + " </dev/null";
  const Limited r = run_limited([&] {
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    return std::string("exec failed");
  });
  if (!r.enforced) GTEST_SKIP() << "RLIMIT_NPROC is not enforced for this user: cannot test";
  const std::string err = slurp((dir / "err").string());
  ASSERT_FALSE(r.hung) << "train hung when its threads could not start";
  EXPECT_EQ(r.code, 1) << err;
  // One error line (8 threads on a smaller machine also print a warning).
  EXPECT_EQ(count_substr(err, "error:"), 1) << err;
  EXPECT_NE(err.find("cannot start 8 worker threads: "), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir / "run" / "model.safetensors"));
  fs::remove_all(dir);
}

// Every command with --threads refuses 0, negatives and absurd counts, with
// the limit in the message, before doing any work.
TEST(ThreadLimits, EveryCommandRefusesBadThreadCounts) {
  const std::string model = std::string(HANDGRAD_SOURCE_DIR) + "/tests/bad/good/model.safetensors";
  const std::vector<std::string> commands = {
      "train --preset seed-2d --data moons --iterations 1 --quiet --out /nonexistent/x",
      "eval --model " + model + " --data moons", "bench --preset seed-2d --steps 1 --reps 1"};
  for (const std::string& c : commands) {
    for (const char* bad : {"0", "-3"}) {
      const auto r = run_cli(c + " --threads " + bad);
      EXPECT_EQ(r.code, 2) << c << " --threads " << bad << ": " << r.err;
      EXPECT_NE(r.err.find("--threads"), std::string::npos) << r.err;
      EXPECT_NE(r.err.find("must be >= 1"), std::string::npos) << r.err;
      EXPECT_EQ(count_lines(r.err), 1) << r.err;
    }
    const auto r = run_cli(c + " --threads 10000");
    EXPECT_EQ(r.code, 2) << c << ": " << r.err;
    EXPECT_NE(r.err.find("the limit is "), std::string::npos) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
  }
}

// Oversubscribing a little keeps working, with a warning past the hardware.
TEST(ThreadLimits, AFewTimesTheHardwareWarnsButRuns) {
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const std::string t = std::to_string(hw + 1);
  const auto r = run_cli(
      "train --preset seed-2d --data moons --n 100 --iterations 3 --quiet "
      "--threads " +
      t + " --out " + ::testing::TempDir() + "hg_over_" + std::to_string(::getpid()));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: --threads: " + t + " threads on " + std::to_string(hw) +
                       " hardware threads"),
            std::string::npos)
      << r.err;
  std::filesystem::remove_all(::testing::TempDir() + "hg_over_" + std::to_string(::getpid()));
}

double seconds(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// With 2 threads, a step or prediction of one slice runs on the caller
// alone; the worker must sleep meanwhile. Before, it woke at every step and
// spun through the next, burning as much CPU as the caller. This counts CPU
// time (the process's minus the calling thread's), not speed.
TEST(ThreadLimits, IdleWorkersSleepDuringSingleSliceSteps) {
  Network<float> net("flatten linear(32) relu linear(10)", {64});
  net.init(3);
  StepRunner runner(net, 2);
  std::vector<float> x(64, 0.5f), logits(10);
  std::vector<int> y = {3};
  runner.loss_and_grad(x.data(), y.data(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // past the worker's spin
  const double p0 = seconds(CLOCK_PROCESS_CPUTIME_ID), t0 = seconds(CLOCK_THREAD_CPUTIME_ID);
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(400)) {
    for (int i = 0; i < 50; ++i) {
      runner.loss_and_grad(x.data(), y.data(), 1);
      runner.predict(x.data(), 1, logits.data());
    }
  }
  const double caller = seconds(CLOCK_THREAD_CPUTIME_ID) - t0;
  const double workers = seconds(CLOCK_PROCESS_CPUTIME_ID) - p0 - caller;
  EXPECT_LT(workers, 0.1 * caller + 0.01)
      << "the idle worker used " << workers << " CPU s while the caller used " << caller;
}

}  // namespace
}  // namespace handgrad
