// Issue 14, item 8: --resume on other data is refused (state.json holds
// the content hashes of the training and test sets), data paths are stored
// absolute so a resume from another directory reads the same file, and a
// resume on another kernel path warns that bit-identity is lost.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/train_fixture.h"

using namespace handgrad::test;

namespace handgrad {
namespace {

// 40 points of two classes on a line: x < 0 is class 0.
std::string points_csv() {
  std::string s;
  for (int i = 0; i < 40; ++i) {
    const double x = (i - 19.5) / 10;
    s += std::to_string(x) + "," + std::to_string(x * x) + "," + (x < 0 ? "0" : "1") + "\n";
  }
  return s;
}

const std::string kTrain =
    "train --arch 'linear(4) relu linear(2)' --data pts.csv --threads 1 --quiet --batch-size 8 "
    "--epochs 1 --out run";

TEST(ResumeChecks, ChangedDataIsRefused) {
  const TempDir d("resume_data");
  write_text(d.file("pts.csv"), points_csv());
  ASSERT_EQ(run_shell("cd " + d.path.string() + " && " + HANDGRAD_BIN + " " + kTrain).code, 0);
  const auto state = nlohmann::json::parse(slurp(d.file("run/state.json")));
  EXPECT_EQ(state["data_hash"]["train"].get<std::string>().size(), 16u) << state.dump();
  // Stored absolute: resuming from another directory finds the same file.
  EXPECT_EQ(state["settings"]["data"], d.file("pts.csv")) << state.dump();
  const std::string resume = "train --quiet --resume " + d.file("run") + " --epochs 2";
  const auto ok = run_shell("cd / && " + std::string(HANDGRAD_BIN) + " " + resume);
  EXPECT_EQ(ok.code, 0) << ok.all;

  // The same file name with one label changed is other data.
  std::string csv = points_csv();
  csv[csv.size() - 2] = '0';
  write_text(d.file("pts.csv"), csv);
  const std::string before = slurp(d.file("run/state.json"));
  const auto r = run_cli("train --quiet --resume " + d.file("run") + " --epochs 3");
  EXPECT_EQ(r.code, 1) << r.all;
  EXPECT_NE(r.err.find("is not the data the run started with"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_EQ(slurp(d.file("run/state.json")), before);
}

TEST(ResumeChecks, AnotherKernelPathWarns) {
  const TempDir d("resume_kernels");
  write_text(d.file("pts.csv"), points_csv());
  ASSERT_EQ(run_shell("cd " + d.path.string() + " && " + HANDGRAD_BIN + " " + kTrain).code, 0);
  const auto state = nlohmann::json::parse(slurp(d.file("run/state.json")));
  const std::string first = state.value("kernels", "");
  ASSERT_FALSE(first.empty()) << state.dump();
  ASSERT_NE(first, "reference");
  const std::string resume = "train --quiet --resume " + d.file("run");
  // The same path: no warning.
  auto r = run_cli(resume + " --epochs 2");
  ASSERT_EQ(r.code, 0) << r.all;
  EXPECT_EQ(r.err.find("kernel path"), std::string::npos) << r.err;
  r = run_cli(resume + " --epochs 3", "HANDGRAD_KERNELS=reference");
  ASSERT_EQ(r.code, 0) << r.all;
  EXPECT_NE(r.err.find("warning: resumed on the reference kernel path but the run ran on " + first +
                       ": the result is no longer bit-identical"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace handgrad
