// Data flags that the data in use would not read are refused, one line
// naming the flag, exit 2, instead of being accepted and ignored (issue 14,
// item 7); flags that it reads are honoured, for eval and boundary too.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/test_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace handgrad {
namespace {

// A short moons run, trained once for the whole suite.
class DataFlags : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("data_flags");
    const auto r = run_cli("train --preset seed-2d --data moons --iterations 20 --threads 1 " +
                           std::string("--quiet --out ") + dir_->file("run"));
    ASSERT_EQ(r.code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string run() { return dir_->file("run"); }
  static std::string model() { return dir_->file("run/model.safetensors"); }
  static TempDir* dir_;
};
TempDir* DataFlags::dir_ = nullptr;

void expect_refused(const std::string& args, const std::string& message) {
  const auto r = run_cli(args);
  EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
  EXPECT_NE(r.err.find("handgrad: error: " + message), std::string::npos) << args << "\n" << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
}

// Each used to be accepted and ignored: the run went on with state.json's data.
TEST_F(DataFlags, ResumeRefusesEveryDataFlag) {
  for (const std::string f : {"--noise 0.3", "--n 50", "--data-seed 3", "--test-fraction 0.5",
                              "--test-data /nonexistent.csv", "--data moons", "--data-dir /x"}) {
    const std::string flag = f.substr(0, f.find(' '));
    expect_refused("train --quiet --resume " + run() + " --iterations 40 " + f,
                   flag + ": not used with --resume (the run's data is fixed in state.json)");
  }
}

// -0.5 was read as "the generator's default".
TEST_F(DataFlags, NegativeNoiseIsRefusedWithItsRange) {
  const std::string out = " --out " + dir_->file("neg");
  for (const std::string& cmd : std::vector<std::string>{
           "train --preset seed-2d --data moons --iterations 1 --quiet" + out,
           "eval --model " + model(), "boundary --model " + model() + out + ".png"}) {
    expect_refused(cmd + " --noise -0.5",
                   "--noise: must be >= 0 (0: no noise; leave it out for the generator's "
                   "default), got -0.5");
  }
}

// Flags the data source does not read, whatever command.
TEST_F(DataFlags, FlagsTheDataDoesNotReadAreRefused) {
  TempDir d("data_flags_csv");
  write_text(d.file("a.csv"), "0,0,0\n1,1,1\n0,1,0\n1,0,1\n0.5,0.5,0\n");
  expect_refused("train --data mnist --n 5 --iterations 1",
                 "--n: only for the 2-D generators (moons, circles, spirals, xor, blobs), not "
                 "mnist");
  expect_refused("train --data " + d.file("a.csv") + " --noise 0.1 --iterations 1",
                 "--noise: only for the 2-D generators");
  expect_refused("train --data " + d.file("a.csv") + " --test-data " + d.file("a.csv") +
                     " --test-fraction 0.5 --preset seed-2d --iterations 1",
                 "--test-fraction: not used with --test-data (the test set is that file)");
  expect_refused("train --data mnist --data-seed 4 --iterations 1",
                 "--data-seed: not used with mnist, which has its own test split");
  // eval and boundary without --data: the model's data (moons) decides.
  expect_refused("eval --model " + model() + " --test-data /nonexistent.csv",
                 "--test-data: only for CSV data; moons is split by --test-fraction");
  expect_refused("boundary --model " + model() + " --data-dir /x --out " + d.file("b.png"),
                 "--data-dir: only for mnist and fashion-mnist, not moons");
}

// eval and boundary without --data used to drop --noise, --n, --data-seed
// and --test-fraction silently; now they are laid over the model's data.
TEST_F(DataFlags, EvalAndBoundaryHonourGeneratorFlags) {
  const auto plain = run_cli("eval --model " + model() + " --threads 1 --json");
  const auto noisy = run_cli("eval --model " + model() + " --noise 0.6 --threads 1 --json");
  const auto few = run_cli("eval --model " + model() + " --n 50 --threads 1 --json");
  ASSERT_EQ(plain.code, 0) << plain.err;
  ASSERT_EQ(noisy.code, 0) << noisy.err;
  ASSERT_EQ(few.code, 0) << few.err;
  EXPECT_NE(plain.out, noisy.out);
  EXPECT_NE(few.out.find("\"n\":10"), std::string::npos) << few.out;  // 20% of 50
  const auto b = run_cli("boundary --model " + model() + " --n 50 --out " + dir_->file("b.png"));
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_NE(b.out.find("on 10 points"), std::string::npos) << b.out;
}

}  // namespace
}  // namespace handgrad
