// The CLI as a user runs it: exit codes and one-line errors.
#include <gtest/gtest.h>

#include "support/test_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace handgrad {
namespace {

TEST(CliGradcheck, PresetsPass) {
  for (const char* p : {"seed-cnn", "seed-mlp", "seed-2d"}) {
    const auto r = run_cli(std::string("gradcheck --preset ") + p);
    EXPECT_EQ(r.code, 0) << p << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find("PASS"), std::string::npos);
  }
}

TEST(CliGradcheck, ArbitraryArchitecture) {
  const auto r =
      run_cli("gradcheck --arch 'conv(3,3) relu maxpool(2) flatten linear(5)' --input 2x9x9");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("0.weight"), std::string::npos);
  EXPECT_NE(r.out.find("4.bias"), std::string::npos);
}

TEST(CliGradcheck, KernelTooLargeIsAUsageError) {
  const auto r = run_cli("gradcheck --arch 'conv(4,30) relu' --input 1x28x28");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("conv(4,30)"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
}

TEST(CliGradcheck, BadFlagsAreUsageErrors) {
  for (const char* args :
       {"gradcheck --bogus", "gradcheck --preset nope", "gradcheck --arch 'relu'",
        "gradcheck --arch 'conv(4,5' --input 1x8x8", "gradcheck --arch relu --input 0x3",
        "gradcheck --batch-size x", "nosuchcommand", ""}) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << args << "\n" << r.err;
  }
}

// Every command that builds a network from --preset/--arch/--input refuses
// an empty --arch (a shell variable that was never set) instead of quietly
// using the default preset.
TEST(CliNetFlags, EmptyArchIsRefusedEverywhere) {
  for (const char* cmd : {"gradcheck", "init --out /dev/null/never", "bench --steps 1 --reps 1"}) {
    const auto r = run_cli(std::string(cmd) + " --arch ''");
    EXPECT_EQ(r.code, 2) << cmd << "\n" << r.err;
    EXPECT_NE(r.err.find("--arch: the architecture string is empty"), std::string::npos)
        << cmd << "\n"
        << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << cmd << "\n" << r.err;
  }
}

TEST(CliInfo, PrintsVersionAndKernelPath) {
  const auto r = run_cli("info");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("handgrad "), std::string::npos);
  EXPECT_NE(r.out.find("kernel path:"), std::string::npos);
}

TEST(CliInfo, VersionFlag) {
  const auto r = run_cli("--version");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("handgrad ") + HANDGRAD_VERSION + "\n");
}

}  // namespace
}  // namespace handgrad
