// Integer flags (issue 14, item 5): parsed strictly in their own type, in
// 64-bit arithmetic, and refused with the range when they are not
// meaningful, instead of a SIGFPE, a clamped value or a silent default.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/test_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace handgrad {
namespace {

namespace fs = std::filesystem;

std::string out_dir(const std::string& tag) {
  return ::testing::TempDir() + "hg_int_" + tag + "_" + std::to_string(::getpid());
}

// A short moons run with `flags`; a killed run (old behaviour: INT64_MAX
// steps) ends after 20 s instead of blocking the suite.
CliResult train(const std::string& flags, const std::string& tag) {
  const std::string out = out_dir(tag);
  fs::remove_all(out);
  auto r = run_cli(
      "train --preset seed-2d --data moons --n 200 --threads 1 --quiet " + flags + " --out " + out,
      "timeout -s KILL 20");
  fs::remove_all(out);
  return r;
}

TEST(IntFlags, BatchLargerThanTheDataIsOneFullBatch) {
  // (n + batch - 1) overflowed int: steps per epoch 0, then SIGFPE.
  const auto r = train("--batch-size 2147483647 --iterations 2 --json", "bigbatch");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"steps\":2"), std::string::npos) << r.out;
}

TEST(IntFlags, OutOfRangeValuesAreRefusedWithTheRange) {
  struct Case {
    std::string flags, says;
  };
  for (const Case& c : std::vector<Case>{
           {"--iterations 99999999999999999999", "--iterations: must be a whole number in 1.."},
           {"--iterations 1e20", "--iterations: must be a whole number in 1.."},
           {"--iterations 0", "--iterations: must be a whole number in 1.."},
           {"--batch-size 2147483648", "--batch-size: must be a whole number in 1..2147483647"},
           {"--seed -1", "--seed: must be a whole number in 0..18446744073709551615"},
           {"--seed 18446744073709551616",
            "--seed: must be a whole number in 0..18446744073709551615"},
           {"--data-seed -1", "--data-seed: must be a whole number in 0.."},
           {"--eval-every 0", "--eval-every: must be a whole number in 1.."},
           {"--epochs 0", "--epochs: must be a whole number in 1.."},
           {"--n 0", "--n: must be a whole number in 1.."}}) {
    const auto r = train(c.flags, "range");
    EXPECT_EQ(r.code, 2) << c.flags << ": " << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.flags << ": " << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << c.flags << ": " << r.err;
  }
}

TEST(IntFlags, LargestSeedStillWorks) {
  const auto r = train("--seed 18446744073709551615 --iterations 1", "maxseed");
  EXPECT_EQ(r.code, 0) << r.err;
}

}  // namespace
}  // namespace handgrad
