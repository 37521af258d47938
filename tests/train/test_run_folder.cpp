// Issue 14, item 3: one run per folder. A run holds DIR/.lock for its whole
// life; a fresh run refuses a folder holding another run's files unless
// --overwrite; state.json, the model and the optimizer state carry the run
// id and step, and --resume refuses files of two different runs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "handgrad/core/safetensors.h"
#include "support/train_fixture.h"

using namespace handgrad::test;

namespace handgrad {
namespace {

// 2-D points: a few steps per epoch, a checkpoint at each epoch end.
const std::string kArgs =
    "train --preset seed-2d --data moons --n 240 --threads 1 --quiet --batch-size 16 "
    "--checkpoint-every 1";

std::string meta(const std::string& path, const std::string& key) {
  const SafeTensors st = read_safetensors(path);
  const auto it = st.metadata.find(key);
  return it == st.metadata.end() ? "" : it->second;
}

TEST(RunFolder, ASecondRunOnABusyFolderIsRefused) {
  const TempDir d("busy");
  const std::string out = d.file("run");
  // The first run stops for a minute inside its first checkpoint.
  const pid_t first = spawn_handgrad(kArgs + " --epochs 2 --out " + out, "state.json");
  ASSERT_GT(first, 0);
  const bool caught = wait_writing(out, "state.json", first);
  const std::string metrics = slurp(out + "/metrics.csv");
  const auto second = run_cli(kArgs + " --epochs 1 --seed 9 --out " + out);
  kill_and_reap(first);
  ASSERT_TRUE(caught) << "the first run never reached its checkpoint";
  EXPECT_EQ(second.code, 1) << second.all;
  EXPECT_NE(second.err.find(out + ": in use by another handgrad run (pid " + std::to_string(first)),
            std::string::npos)
      << second.err;
  EXPECT_EQ(count_lines(second.err), 1) << second.err;
  // The second run wrote nothing there.
  EXPECT_FALSE(metrics.empty());
  EXPECT_EQ(slurp(out + "/metrics.csv"), metrics) << "the refused run wrote into the folder";
}

TEST(RunFolder, AFinishedRunIsNotOverwrittenWithoutOverwrite) {
  const TempDir d("reuse");
  const std::string out = d.file("run");
  ASSERT_EQ(run_cli(kArgs + " --epochs 2 --seed 1 --out " + out).code, 0);
  const std::string model = slurp(out + "/model.safetensors");
  const auto again = run_cli(kArgs + " --epochs 1 --seed 2 --out " + out);
  EXPECT_EQ(again.code, 2) << again.all;
  EXPECT_NE(again.err.find("--out: " + out + " holds another run"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("--overwrite"), std::string::npos) << again.err;
  EXPECT_EQ(slurp(out + "/model.safetensors"), model) << "the finished run's model was replaced";

  // --overwrite replaces it, and nothing of the old run stays behind.
  const auto over = run_cli(kArgs + " --epochs 1 --seed 2 --overwrite --out " + out);
  ASSERT_EQ(over.code, 0) << over.all;
  EXPECT_NE(slurp(out + "/model.safetensors"), model);
  // 12 steps (192 training points, batch 16) where the old run had 24.
  const auto state = nlohmann::json::parse(slurp(out + "/state.json"));
  EXPECT_EQ(state["step"], 12);
  for (const auto& row : state["history"]) EXPECT_LE(row[0].get<long>(), 12) << state.dump();
  EXPECT_EQ(count_lines(slurp(out + "/metrics.csv")), 1 + static_cast<int>(state["history"].size()))
      << slurp(out + "/metrics.csv");
}

TEST(RunFolder, CheckpointFilesCarryTheRunIdAndStep) {
  const TempDir d("ids");
  const std::string a = d.file("a"), b = d.file("b");
  ASSERT_EQ(run_cli(kArgs + " --epochs 1 --seed 1 --out " + a).code, 0);
  ASSERT_EQ(run_cli(kArgs + " --epochs 1 --seed 2 --out " + b).code, 0);
  const auto state = nlohmann::json::parse(slurp(a + "/state.json"));
  const std::string id = state.value("run_id", "");
  EXPECT_EQ(id.size(), 16u) << state.dump();
  EXPECT_EQ(meta(a + "/model.safetensors", "run_id"), id);
  EXPECT_EQ(meta(a + "/optimizer.safetensors", "run_id"), id);
  EXPECT_EQ(meta(a + "/optimizer.safetensors", "step"), std::to_string(state["step"].get<long>()));
  EXPECT_NE(meta(b + "/model.safetensors", "run_id"), id) << "two different runs, one id";
}

// A folder left by a kill with files of two runs at the same step: the
// resume used to accept whichever model carried the step.
TEST(RunFolder, ResumeRefusesFilesOfAnotherRun) {
  const TempDir d("mixed");
  const std::string a = d.file("a"), b = d.file("b");
  ASSERT_EQ(run_cli(kArgs + " --epochs 1 --seed 1 --out " + a).code, 0);
  ASSERT_EQ(run_cli(kArgs + " --epochs 1 --seed 2 --out " + b).code, 0);
  for (const char* f : {"model.safetensors", "optimizer.safetensors"}) {
    SCOPED_TRACE(f);
    const std::string mixed = d.file(std::string("mixed_") + f);
    fs::copy(a, mixed, fs::copy_options::recursive);
    fs::copy_file(b + "/" + f, mixed + "/" + f, fs::copy_options::overwrite_existing);
    const std::string before = slurp(mixed + "/state.json");
    const auto r = run_cli("train --quiet --resume " + mixed + " --epochs 2");
    EXPECT_EQ(r.code, 1) << r.all;
    EXPECT_NE(r.err.find(mixed + "/" + f + ": written by another run"), std::string::npos) << r.err;
    EXPECT_EQ(slurp(mixed + "/state.json"), before);
  }
  // The .prev fallback checks the id too: a run killed between renames
  // leaves model.safetensors at the next step and the .prev at this one.
  const std::string prev = d.file("prev");
  fs::copy(a, prev, fs::copy_options::recursive);
  ASSERT_EQ(run_cli(kArgs + " --epochs 2 --seed 1 --out " + d.file("a2")).code, 0);
  fs::copy_file(d.file("a2") + "/model.safetensors", prev + "/model.safetensors",
                fs::copy_options::overwrite_existing);
  fs::copy_file(b + "/model.safetensors", prev + "/model.safetensors.prev");
  const auto r = run_cli("train --quiet --resume " + prev + " --epochs 2");
  EXPECT_EQ(r.code, 1) << r.all;
  EXPECT_NE(r.err.find("written by another run"), std::string::npos) << r.err;
  // With its own .prev it resumes.
  fs::copy_file(a + "/model.safetensors", prev + "/model.safetensors.prev",
                fs::copy_options::overwrite_existing);
  const auto ok = run_cli("train --quiet --resume " + prev + " --epochs 2");
  EXPECT_EQ(ok.code, 0) << ok.all;
  EXPECT_EQ(slurp(prev + "/model.safetensors"), slurp(d.file("a2") + "/model.safetensors"));
}

}  // namespace
}  // namespace handgrad
