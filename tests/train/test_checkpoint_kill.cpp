// No lost work: a training run killed with SIGKILL in the middle of writing
// a checkpoint leaves the previous checkpoint usable, and --resume continues
// from it to exactly the model of an uninterrupted run. The writer is held
// halfway through one file's temporary copy by the test hook
// HANDGRAD_TEST_PAUSE_IN_CHECKPOINT (src/io/atomic_file.cpp); each of the
// three checkpoint files is tried, since a checkpoint is three renames.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/train_fixture.h"

using namespace handgrad::test;

namespace {

// Small and fast: 2-D points, a few steps per epoch.
const std::string kArgs =
    "train --preset seed-2d --data moons --n 240 --threads 1 --quiet --batch-size 16 --seed 5";

// Starts `handgrad args...` with the pause hook set; returns its pid.
pid_t spawn_paused(const std::string& args, const std::string& pause_file) {
  std::vector<std::string> words;
  std::istringstream in(args);
  for (std::string w; in >> w;) words.push_back(w);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("HANDGRAD_TEST_PAUSE_IN_CHECKPOINT", pause_file.c_str(), 1);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> argv{const_cast<char*>(HANDGRAD_BIN)};
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    ::execv(HANDGRAD_BIN, argv.data());
    ::_exit(127);
  }
  return pid;
}

// True once `dir` holds a non-empty "<name>.tmp.<pid>": the writer is mid-file.
bool writing(const std::string& dir, const std::string& name, pid_t pid) {
  const fs::path tmp = fs::path(dir) / (name + ".tmp." + std::to_string(pid));
  std::error_code ec;
  return fs::exists(tmp, ec) && fs::file_size(tmp, ec) > 0;
}

class KillInCheckpoint : public ::testing::TestWithParam<std::string> {};

TEST_P(KillInCheckpoint, PreviousCheckpointSurvivesAndResumes) {
  const std::string file = GetParam();
  const std::string full = temp_dir("kill_full_" + file), d = temp_dir("kill_run_" + file);
  ASSERT_EQ(run_cli(kArgs + " --epochs 2 --out " + full).code, 0);
  const auto first = run_cli(kArgs + " --epochs 1 --out " + d);
  ASSERT_EQ(first.code, 0) << first.err;
  const std::string state1 = slurp(d + "/state.json");
  ASSERT_FALSE(state1.empty());

  // Resume towards epoch 2 and kill it while it writes the epoch-2 checkpoint.
  const pid_t pid = spawn_paused("train --quiet --resume " + d + " --epochs 2", file);
  ASSERT_GT(pid, 0);
  bool caught = false;
  for (int i = 0; i < 600 && !caught; ++i) {  // up to 60 s
    caught = writing(d, file, pid);
    if (!caught) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(caught) << "the run never started writing " << file;
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  // The commit record of the previous checkpoint is untouched ...
  EXPECT_EQ(slurp(d + "/state.json"), state1);
  // ... and resuming from it ends exactly where the uninterrupted run did.
  const auto r = run_cli("train --quiet --resume " + d + " --epochs 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(slurp(d + "/model.safetensors"), slurp(full + "/model.safetensors"));
  EXPECT_EQ(slurp(d + "/optimizer.safetensors"), slurp(full + "/optimizer.safetensors"));
  // The killed writer's temporary file and the kept previous copies are gone.
  for (const auto& e : fs::directory_iterator(d)) {
    const std::string name = e.path().filename().string();
    EXPECT_EQ(name.find(".tmp."), std::string::npos) << name;
    EXPECT_EQ(name.find(".prev"), std::string::npos) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(EachFile, KillInCheckpoint,
                         ::testing::Values("model.safetensors", "optimizer.safetensors",
                                           "state.json"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s) c = c == '.' ? '_' : c;
                           return s;
                         });

}  // namespace
