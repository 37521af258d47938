// handgrad bench and the kernel-path switch, through the real binary. No
// timing is asserted: only that the figures are there and sane. Each run
// clears HANDGRAD_KERNELS unless a test sets it (the suite also runs with it set).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/test_util.h"

namespace {

using handgrad::test::CliResult;

// stderr then stdout, like a terminal.
CliResult run(const std::string& args, const std::string& env = "env -u HANDGRAD_KERNELS") {
  CliResult r = handgrad::test::run_cli(args, env);
  r.out = r.all;
  return r;
}

TEST(BenchCli, JsonHasThroughputAndBreakdown) {
  const CliResult r =
      run("bench --preset seed-cnn --batch-size 3 --threads 2 --steps 5 --reps 3 "
          "--json");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_GT(j["samples_per_s"].get<double>(), 0.0);
  EXPECT_EQ(j["reps"].size(), 3u);
  EXPECT_EQ(j["batch"].get<int>(), 3);
  // The seed CNN's work per sample, as the issue counts it.
  EXPECT_NEAR(j["mflop_fwd"].get<double>(), 0.252928, 1e-6);
  EXPECT_NEAR(j["mflop_bwd"].get<double>(), 0.390656, 1e-6);
  ASSERT_FALSE(j["ops"].empty());
  EXPECT_EQ(j["ops"][0]["op"].get<std::string>(), "conv(4,5)");
}

TEST(BenchCli, ReferencePathAndPeak) {
  CliResult r = run("bench --preset seed-mlp --kernels reference --steps 3 --reps 1 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["kernel_path"].get<std::string>(), "reference");
  r = run("bench --peak --reps 1 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_GT(nlohmann::json::parse(r.out)["peak_gflops"].get<double>(), 0.0);
}

TEST(BenchCli, EnvironmentForcesKernelPath) {
  const CliResult r = run("info");
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(r.out.find("kernel path: reference"), std::string::npos) << r.out;
  const CliResult ref = run("info HANDGRAD_KERNELS_IGNORED");  // a stray argument is a usage error
  EXPECT_EQ(ref.code, 2);
  const CliResult forced = run("info", "HANDGRAD_KERNELS=reference");
  EXPECT_NE(forced.out.find("kernel path: reference"), std::string::npos) << forced.out;
}

TEST(BenchCli, BadFlagsAreUsageErrors) {
  EXPECT_EQ(run("bench --batch-size 0").code, 2);
  EXPECT_EQ(run("bench --kernels sse9 --steps 1 --reps 1").code, 2);
  EXPECT_EQ(run("bench --preset nope").code, 2);
  const CliResult r = run("bench --arch 'conv(4,5) flatten linear(10)'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("--input"), std::string::npos) << r.out;
}

}  // namespace
