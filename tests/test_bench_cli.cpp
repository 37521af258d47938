// handgrad bench and the kernel-path switch, through the real binary. No
// timing is asserted: only that the figures are there and sane.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace {

struct Result {
  int code;
  std::string out;
};

Result run(const std::string& args) {
  const std::string cmd = std::string(HANDGRAD_BIN) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  Result r{-1, ""};
  if (!p) return r;
  std::array<char, 4096> buf;
  while (fgets(buf.data(), buf.size(), p)) r.out += buf.data();
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(BenchCli, JsonHasThroughputAndBreakdown) {
  const Result r =
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
  Result r = run("bench --preset seed-mlp --kernels reference --steps 3 --reps 1 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["kernel_path"].get<std::string>(), "reference");
  r = run("bench --peak --reps 1 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_GT(nlohmann::json::parse(r.out)["peak_gflops"].get<double>(), 0.0);
}

TEST(BenchCli, EnvironmentForcesKernelPath) {
  const Result r = run("info");
  ASSERT_EQ(r.code, 0);
  EXPECT_EQ(r.out.find("kernel path: reference"), std::string::npos) << r.out;
  const Result ref = run("info HANDGRAD_KERNELS_IGNORED");  // a stray argument is a usage error
  EXPECT_EQ(ref.code, 2);
  const std::string env = "HANDGRAD_KERNELS=reference ";
  FILE* p = popen((env + HANDGRAD_BIN + " info").c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  std::array<char, 4096> buf;
  while (fgets(buf.data(), buf.size(), p)) out += buf.data();
  pclose(p);
  EXPECT_NE(out.find("kernel path: reference"), std::string::npos) << out;
}

TEST(BenchCli, BadFlagsAreUsageErrors) {
  EXPECT_EQ(run("bench --batch-size 0").code, 2);
  EXPECT_EQ(run("bench --kernels sse9 --steps 1 --reps 1").code, 2);
  EXPECT_EQ(run("bench --preset nope").code, 2);
  const Result r = run("bench --arch 'conv(4,5) flatten linear(10)'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("--input"), std::string::npos) << r.out;
}

}  // namespace
