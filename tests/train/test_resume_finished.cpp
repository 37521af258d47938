// --resume on a finished run draws its plots again (a run killed after its
// last checkpoint, before its pictures; issue 14, item 6) instead of
// refusing, and leaves the model and the checkpoint as they were.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/test_util.h"

using namespace handgrad::test;

namespace {

namespace fs = std::filesystem;

// A finished 20-step seed-2d run in dir.
::testing::AssertionResult train_20_steps(const std::string& dir) {
  const auto r = run_cli(
      "train --preset seed-2d --data moons --iterations 20 --threads 1 --quiet --out " + dir);
  if (r.code == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "exit " << r.code << ": " << r.err;
}

TEST(ResumeFinished, RedrawsMissingPlots) {
  const TempDir d("resume_finished");
  const std::string run = d.file("run");
  ASSERT_TRUE(train_20_steps(run));
  const std::string model = slurp(run + "/model.safetensors");
  const std::string state = slurp(run + "/state.json");
  const std::string optimizer = slurp(run + "/optimizer.safetensors");
  for (const char* p : {"loss.png", "accuracy.png", "confusion.png", "boundary.png"}) {
    fs::remove(run + "/" + p);
  }
  const auto r = run_cli("train --quiet --resume " + run);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("handgrad: " + run +
                       " had finished its 20 steps; redrew its plots (missing: loss.png, "
                       "accuracy.png, confusion.png, boundary.png); the model and checkpoint "
                       "are unchanged\n"),
            std::string::npos)
      << r.err;
  for (const char* p : {"loss.png", "accuracy.png", "confusion.png", "boundary.png"}) {
    EXPECT_TRUE(is_png(run + "/" + p)) << p;
  }
  EXPECT_EQ(slurp(run + "/model.safetensors"), model);
  EXPECT_EQ(slurp(run + "/state.json"), state);
  EXPECT_EQ(slurp(run + "/optimizer.safetensors"), optimizer);
  EXPECT_NE(r.out.find("test accuracy"), std::string::npos) << r.out;
}

// A length shorter than what the run has done is still refused.
TEST(ResumeFinished, ShorterLengthIsRefused) {
  const TempDir d("resume_shorter");
  const std::string run = d.file("run");
  ASSERT_TRUE(train_20_steps(run));
  const auto r = run_cli("train --quiet --resume " + run + " --iterations 10");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("has already trained 20 steps"), std::string::npos) << r.err;
}

}  // namespace
