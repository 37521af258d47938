// Item 11 of issue 14: the tests find MNIST where the CLI does (after the
// README's `handgrad data fetch mnist`, in ~/.cache/handgrad/mnist), and
// scripts/test.sh ends by saying how many tests skipped and why.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "support/test_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace handgrad {
namespace {

namespace fs = std::filesystem;

// Sets (or with nullopt unsets) an environment variable for one scope.
class EnvVar {
 public:
  EnvVar(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~EnvVar() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(TestDataDir, FindsMnistInTheCacheTheCliFetchesTo) {
  const std::string real = handgrad::test::mnist_dir();
  if (real.empty()) GTEST_SKIP() << handgrad::test::kNoMnist;
  const fs::path home = fs::path(::testing::TempDir()) / ("hg_home_" + std::to_string(::getpid()));
  fs::remove_all(home);
  fs::create_directories(home / ".cache/handgrad");
  fs::create_directory_symlink(real, home / ".cache/handgrad/mnist");
  {
    const EnvVar data("HANDGRAD_DATA", std::nullopt);
    const EnvVar h("HOME", home.string());
    EXPECT_EQ(handgrad::test::mnist_dir(), (home / ".cache/handgrad/mnist").string());
  }
  fs::remove_all(home);
}

TEST(TestDataDir, SkipSummaryCountsSkipsByReason) {
  const std::string log = ::testing::TempDir() + "hg_lasttest_" + std::to_string(::getpid());
  test::write_text(log,
                   "[ RUN      ] A.One\n/x/a.cpp:3: Skipped\nno MNIST: looked in ...\n"
                   "[  SKIPPED ] A.One (0 ms)\n[ RUN      ] A.Two\n/x/a.cpp:9: Skipped\n"
                   "no MNIST: looked in ...\n[  SKIPPED ] A.Two (0 ms)\n"
                   "[ RUN      ] B.Three\n/x/b.cpp:4: Skipped\nno torch\n[  SKIPPED ] B.Three\n"
                   "[ RUN      ] B.Four\n[       OK ] B.Four (1 ms)\n");
  const std::string out = ::testing::TempDir() + "hg_skipsum_" + std::to_string(::getpid());
  const std::string cmd =
      "bash " + std::string(HANDGRAD_SOURCE_DIR) + "/scripts/skip_summary.sh " + log + " >" + out;
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(slurp(out),
            "skip summary: 3 tests skipped:\n  2 x no MNIST: looked in ...\n  1 x no torch\n");
  std::remove(log.c_str());
  std::remove(out.c_str());
}

}  // namespace
}  // namespace handgrad
