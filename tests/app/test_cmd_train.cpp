// `handgrad train` / `eval` on bad input: each case exits non-zero with one
// line naming the flag or file, and leaves no half-written run folder.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "handgrad/model/model_file.h"
#include "handgrad/model/network.h"
#include "support/train_fixture.h"

using namespace handgrad::test;

namespace {

class TrainCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { data_ = new std::string(synthetic_mnist("bad_input_data")); }
  static void TearDownTestSuite() { delete data_; }
  // A small, fast configuration on the synthetic data.
  std::string base() const {
    return "train --preset seed-mlp --data-dir " + *data_ +
           " --threads 1 --quiet --batch-size 16 --epochs 1";
  }
  static void expect_fail(const CliResult& r, int code, const std::string& needle) {
    EXPECT_EQ(r.code, code) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
  }
  static std::string* data_;
};
std::string* TrainCli::data_ = nullptr;

TEST_F(TrainCli, MissingDataSaysHowToGetIt) {
  const std::string empty = temp_dir("no_data_here");
  const auto r = run_cli("train --quiet --out " + temp_dir("r_missing") + "/run",
                         "HANDGRAD_DATA=" + empty + " HOME=" + empty);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("mnist"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
}

TEST_F(TrainCli, UnwritableOutIsAnError) {
  expect_fail(run_cli(base() + " --out /proc/handgrad-cannot-write-here"), 1,
              "/proc/handgrad-cannot-write-here");
}

TEST_F(TrainCli, BadHyperparametersAreUsageErrors) {
  const std::string out = " --out " + temp_dir("r_hyper");
  expect_fail(run_cli(base() + out + " --lr 0"), 2, "--lr");
  expect_fail(run_cli(base() + out + " --lr -1"), 2, "--lr");
  expect_fail(run_cli(base() + out + " --batch-size 0"), 2, "--batch-size");
  expect_fail(run_cli(base() + out + " --epochs -1"), 2, "--epochs");
  expect_fail(run_cli(base() + out + " --momentum 1.5"), 2, "--momentum");
  expect_fail(run_cli(base() + out + " --clip-grad-norm -1"), 2, "--clip-grad-norm");
  expect_fail(run_cli(base() + out + " --init tourch"), 2, "--init");
  expect_fail(run_cli(base() + out + " --seeds 0"), 2, "--seeds");
  expect_fail(run_cli(base() + out + " --data nosuchset"), 2, "nosuchset");
  expect_fail(run_cli(base() + out + " --standardize --normalize"), 2, "--normalize");
}

TEST_F(TrainCli, BatchOrderIndexOutOfRangeNamesFileAndLine) {
  const std::string d = temp_dir("r_order");
  std::ofstream(d + "/order.txt") << "0 1 2 3\n4 5 600 7\n";
  const auto r = run_cli(base() + " --out " + d + "/run --batch-order " + d + "/order.txt");
  expect_fail(r, 1, "order.txt:2:");
  EXPECT_NE(r.err.find("600"), std::string::npos) << r.err;
  std::ofstream(d + "/junk.txt") << "0 1 x2\n";
  expect_fail(run_cli(base() + " --out " + d + "/run --batch-order " + d + "/junk.txt"), 1,
              "junk.txt:1:");
}

TEST_F(TrainCli, ImageSizeMismatchIsAUsageError) {
  const auto r = run_cli(base() + " --out " + temp_dir("r_size") +
                         " --arch 'flatten linear(10)' --input 1x32x32");
  expect_fail(r, 2, "1x28x28");
}

TEST_F(TrainCli, LabelOutOfRangeForTheNetwork) {
  const auto r = run_cli(base() + " --out " + temp_dir("r_label") + " --arch 'flatten linear(5)'");
  expect_fail(r, 2, "label");
}

TEST_F(TrainCli, DivergenceStopsAtAStepAndKeepsTheLastCheckpoint) {
  const std::string d = temp_dir("r_nan");
  // One good epoch first, then continue with an absurd learning rate would need
  // --lr on resume; instead: train at lr 1e30 from the start.
  const auto r = run_cli(base() + " --out " + d + " --lr 1e30");
  expect_fail(r, 1, "at step");
  EXPECT_NE(r.err.find("no checkpoint"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d + "/model.safetensors"));
  // Divergence after a finished epoch leaves that epoch's checkpoint intact:
  // train one epoch, raise the saved lr to 1e30, resume for a second epoch.
  const std::string d2 = temp_dir("r_nan2");
  ASSERT_EQ(run_cli(base() + " --out " + d2).code, 0);
  const std::string before = slurp(d2 + "/model.safetensors");
  auto state = nlohmann::json::parse(slurp(d2 + "/state.json"));
  state["settings"]["lr"] = 1e30;
  std::ofstream(d2 + "/state.json") << state.dump();
  const auto r2 = run_cli("train --quiet --resume " + d2 + " --epochs 2");
  // 38 steps per epoch; step 39's loss is taken before the first update at lr 1e30.
  expect_fail(r2, 1, "the loss is NaN at step 40 (epoch 2)");
  EXPECT_NE(r2.err.find("kept the last good checkpoint"), std::string::npos) << r2.err;
  EXPECT_NE(r2.err.find("(step 38)"), std::string::npos) << r2.err;
  EXPECT_EQ(slurp(d2 + "/model.safetensors"), before);
}

TEST_F(TrainCli, ResumeRejectsChangedSettings) {
  expect_fail(run_cli("train --resume " + temp_dir("r_res") + " --lr 0.1"), 2, "--lr");
  expect_fail(run_cli("train --quiet --resume " + temp_dir("r_res_empty")), 1, "state.json");
}

TEST_F(TrainCli, DeadReluUnitsAreReported) {
  // A start where the hidden layer's bias is so negative that no unit fires.
  handgrad::Network<float> net("flatten linear(16) relu linear(10)", {1, 28, 28});
  net.init(0);
  const auto& b = net.find_param("1.bias");
  for (size_t i = 0; i < b.size; ++i) net.params()[b.offset + i] = -1000.0f;
  const std::string d = temp_dir("r_dead");
  handgrad::save_model(d + "/dead.safetensors", net);
  const auto r = run_cli("train --arch 'flatten linear(16) relu linear(10)' --data-dir " + *data_ +
                         " --threads 1 --quiet --epochs 1 --batch-size 16 --out " + d +
                         "/run --init " + d + "/dead.safetensors --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("layer 2 16/16 units"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("dead"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("stuck near 2.3026, the loss of guessing uniformly (log K) for K = 10"),
            std::string::npos)
      << r.err;
}

// The three times a run reports nest: steps within the epoch loop (which
// adds evaluations and checkpoints) within the wall time (which adds loading,
// the dead-unit report and the plots).
TEST_F(TrainCli, JsonReportsNestedTimes) {
  const auto r = run_cli(base() + " --out " + temp_dir("r_times") + "/run --json");
  ASSERT_EQ(r.code, 0) << r.err;
  std::string last = r.out.substr(0, r.out.find_last_not_of('\n') + 1);
  last = last.substr(last.rfind('\n') + 1);  // --json: the last line of stdout
  const auto j = nlohmann::json::parse(last);
  ASSERT_TRUE(j.contains("train_seconds") && j.contains("loop_seconds") &&
              j.contains("wall_seconds"))
      << j.dump();
  const double train = j["train_seconds"], loop = j["loop_seconds"], wall = j["wall_seconds"];
  EXPECT_GT(train, 0);
  EXPECT_LE(train, loop);
  EXPECT_LE(loop, wall);
}

TEST_F(TrainCli, EvalOnMismatchedModelFails) {
  handgrad::Network<float> net("linear(4) relu linear(2)", {2});
  net.init(0);
  const std::string d = temp_dir("r_eval2d");
  handgrad::save_model(d + "/m.safetensors", net);
  expect_fail(run_cli("eval --model " + d + "/m.safetensors --data-dir " + *data_), 2,
              "samples are 1x28x28 but the network takes 2");
  expect_fail(run_cli("eval --model " + d + "/missing.safetensors"), 1, "missing.safetensors");
}

}  // namespace
