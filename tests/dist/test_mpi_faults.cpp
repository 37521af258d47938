// A rank that dies or stops mid-run: the job must end on every rank within
// seconds, with one line from handgrad, and the last checkpoint must
// resume. Real mpirun, real signals (SIGKILL, SIGSTOP) sent to one rank.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/train_fixture.h"

using namespace handgrad::test;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Lines of stderr that handgrad wrote.
int handgrad_lines(const std::string& err) {
  int n = 0;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) n += line.rfind("handgrad:", 0) == 0;
  return n;
}

// `exec cmd` in a shell of its own, stdout and stderr to files: the pid is
// mpirun's.
pid_t spawn(const std::string& cmd, const std::string& out, const std::string& err) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = ::open("/dev/null", O_RDONLY);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::dup2(in, 0);
    ::execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

// The children of `parent` whose environment says they are MPI rank `rank`.
pid_t rank_pid(pid_t parent, int rank) {
  const std::string want = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    long ppid = 0;
    rest >> state >> ppid;
    if (ppid != parent) continue;
    std::istringstream env(slurp((e.path() / "environ").string()));
    for (std::string var; std::getline(env, var, '\0');) {
      if (var == want) return static_cast<pid_t>(std::stol(name));
    }
  }
  return -1;
}

// Alive and not a zombie.
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const size_t close = line.rfind(')');
  return close != std::string::npos && line.size() > close + 2 && line[close + 2] != 'Z';
}

// waitpid with a deadline; true when it exited in time.
bool wait_for(pid_t pid, double seconds, int& status) {
  const auto t0 = Clock::now();
  while (since(t0) < seconds) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// A run long enough to be caught in the middle: 10 steps per epoch, a
// checkpoint after every epoch.
std::string long_run(const std::string& data, const std::string& out, const std::string& extra) {
  return mpirun(2) + " " + HANDGRAD_BIN + " train --preset seed-cnn --data-dir " + data +
         " --train-limit 640 --test-limit 100 --batch-size 64 --epochs 500 --quiet --out " + out +
         extra;
}

const std::string& data_dir() {
  static const std::string* d = [] {
    const std::string m = mnist_dir();
    return new std::string(m.empty() ? synthetic_mnist("mpi_fault_data", 640, 100) : m);
  }();
  return *d;
}

// Starts the long run, waits for its first checkpoint; returns mpirun's pid
// and rank `victim`'s.
void start_and_wait_for_checkpoint(const std::string& cmd, const std::string& out,
                                   const std::string& logs, int victim, pid_t& mpirun_pid,
                                   pid_t& victim_pid) {
  mpirun_pid = spawn(cmd, logs + ".out", logs + ".err");
  ASSERT_GT(mpirun_pid, 0);
  const auto t0 = Clock::now();
  while (!fs::exists(out + "/state.json") && since(t0) < 120) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  victim_pid = rank_pid(mpirun_pid, victim);
  if (!fs::exists(out + "/state.json") || victim_pid <= 0) {
    ::kill(mpirun_pid, SIGKILL);
    int st;
    ::waitpid(mpirun_pid, &st, 0);
    FAIL() << "no checkpoint or no rank " << victim << " after " << since(t0)
           << " s: " << slurp(logs + ".err");
  }
}

TEST(MpiFaults, KilledRankEndsTheJobAndTheCheckpointResumes) {
  if (mpirun(1).empty()) GTEST_SKIP() << "built without MPI";
  const std::string out = temp_dir("mpi_kill") + "/run", logs = temp_dir("mpi_kill_logs") + "/j";
  pid_t job = -1, victim = -1;
  start_and_wait_for_checkpoint(long_run(data_dir(), out, ""), out, logs, 1, job, victim);
  if (HasFatalFailure()) return;
  const pid_t rank0 = rank_pid(job, 0);
  ASSERT_EQ(::kill(victim, SIGKILL), 0);
  const auto t0 = Clock::now();
  int status = 0;
  const bool ended = wait_for(job, 30, status);
  const double secs = since(t0);
  if (!ended) ::kill(job, SIGKILL);
  ASSERT_TRUE(ended) << "mpirun still running 30 s after rank 1 was killed";
  EXPECT_LT(secs, 15) << "the job took " << secs << " s to end";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_FALSE(running(rank0)) << "rank 0 outlived the job";
  const std::string err = slurp(logs + ".err");
  // handgrad's one line; Open MPI's shared-memory transport may add its own
  // ("[host:pid] Read -1, expected N, errno = 3": the peer is gone).
  EXPECT_EQ(handgrad_lines(err), 1) << err;
  EXPECT_NE(err.find("handgrad: error: rank 0 of 2: stopped by SIGTERM"), std::string::npos) << err;
  std::printf("job ended %.2f s after rank 1 was killed: %s", secs, err.c_str());

  // The last checkpoint resumes (as one process: its settings say 2 slices)
  // and ends where a run that never stopped ends.
  const long step = nlohmann::json::parse(slurp(out + "/state.json"))["step"];
  ASSERT_GE(step, 10);
  const std::string more = " --iterations " + std::to_string(step + 5);
  const auto r = run_cli("train --quiet --resume " + out + more);
  ASSERT_EQ(r.code, 0) << r.all;
  const std::string ref = temp_dir("mpi_kill_ref");
  ASSERT_EQ(run_cli("train --preset seed-cnn --data-dir " + data_dir() +
                    " --train-limit 640 --test-limit 100 --batch-size 64 --threads 2 --quiet" +
                    more + " --out " + ref)
                .code,
            0);
  EXPECT_EQ(model_difference(ref, out), "");
}

// A rank that stops without dying (SIGSTOP: mpirun sees nothing wrong)
// leaves the others waiting in a collective; --mpi-timeout ends the job.
TEST(MpiFaults, StoppedRankEndsTheJobAfterTheTimeout) {
  if (mpirun(1).empty()) GTEST_SKIP() << "built without MPI";
  const std::string out = temp_dir("mpi_stop") + "/run", logs = temp_dir("mpi_stop_logs") + "/j";
  pid_t job = -1, victim = -1;
  start_and_wait_for_checkpoint(long_run(data_dir(), out, " --mpi-timeout 3"), out, logs, 1, job,
                                victim);
  if (HasFatalFailure()) return;
  ASSERT_EQ(::kill(victim, SIGSTOP), 0);
  const auto t0 = Clock::now();
  int status = 0;
  const bool ended = wait_for(job, 40, status);
  const double secs = since(t0);
  if (running(victim)) {
    ::kill(victim, SIGKILL);
    ::kill(victim, SIGCONT);
  }
  if (!ended) ::kill(job, SIGKILL);
  ASSERT_TRUE(ended) << "mpirun still running 40 s after rank 1 was stopped";
  EXPECT_LT(secs, 20) << "the job took " << secs << " s to end";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  const std::string err = slurp(logs + ".err");
  EXPECT_NE(err.find("handgrad: error: rank 0 of 2: no answer from the other ranks for 3 s"),
            std::string::npos)
      << err;
  EXPECT_EQ(handgrad_lines(err), 1)
      << "the stopped rank, continued, must not blame rank 0: " << err;
  std::printf("job ended %.2f s after rank 1 was stopped: %s", secs, err.c_str());
}

}  // namespace
