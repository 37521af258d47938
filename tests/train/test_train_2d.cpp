// `handgrad train` on 2-D data: generators, user CSV files with --test-data,
// the seed-2d preset's defaults, boundary.png, and the errors a user can cause.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "handgrad/model/model_file.h"
#include "handgrad/model/network.h"
#include "handgrad/model/presets.h"
#include "support/test_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace handgrad {
namespace {

// The last line of the output, parsed as the --json summary.
nlohmann::json last_json(const std::string& out) {
  const size_t end = out.find_last_not_of('\n');
  const size_t start = out.rfind('\n', end);
  return nlohmann::json::parse(out.substr(start == std::string::npos ? 0 : start + 1));
}

nlohmann::json settings_of(const std::string& run_dir) {
  std::ifstream f(run_dir + "/state.json");
  return nlohmann::json::parse(f).at("settings");
}

TEST(Train2d, UserCsvWithSeparateTestSet) {
  test::TempDir dir("train_csv");
  ASSERT_EQ(run_cli("data make moons --n 400 --seed 1 --out " + dir.file("train.csv")).code, 0);
  ASSERT_EQ(run_cli("data make moons --n 150 --seed 2 --out " + dir.file("test.csv")).code, 0);
  const auto r = run_cli("train --preset seed-2d --data " + dir.file("train.csv") +
                         " --test-data " + dir.file("test.csv") +
                         " --epochs 30 --threads 1 --quiet --json --out " + dir.file("run"));
  ASSERT_EQ(r.code, 0) << r.all;
  const auto j = last_json(r.all);
  EXPECT_GE(j.at("test_accuracy").get<double>(), 0.85) << r.all;
  // Every one of the 150 test rows was evaluated: the confusion matrix sums to 150.
  long total = 0;
  for (const auto& row : j.at("confusion")) {
    for (const auto& v : row) total += v.get<long>();
  }
  EXPECT_EQ(total, 150);
  EXPECT_TRUE(test::is_png(dir.file("run/boundary.png")));
  // boundary without --data redraws the model's own data.
  const auto b = run_cli("boundary --model " + dir.file("run/model.safetensors") + " --out " +
                         dir.file("b.png"));
  ASSERT_EQ(b.code, 0) << b.all;
  EXPECT_NE(b.all.find("on 150 points"), std::string::npos) << b.all;
}

TEST(Train2d, AnyFeatureCount) {
  test::TempDir dir("train_3d");
  std::string csv = "a,b,c,label\n";
  for (int i = 0; i < 60; ++i) {
    const int y = i % 3;
    csv += std::to_string(y) + "," + std::to_string(i % 7) + ",0.5," + std::to_string(y) + "\n";
  }
  test::write_text(dir.file("three.csv"), csv);
  const auto r =
      run_cli("train --arch 'linear(8) relu linear(3)' --data " + dir.file("three.csv") +
              " --epochs 40 --batch-size 8 --lr 0.05 --threads 1 --quiet --out " + dir.file("run"));
  ASSERT_EQ(r.code, 0) << r.all;
  EXPECT_NE(r.all.find("test accuracy 1.0000 (12/12)"), std::string::npos) << r.all;
  EXPECT_FALSE(std::filesystem::exists(dir.file("run/boundary.png")));  // 3 inputs: no picture
}

TEST(Train2d, Seed2dDefaultsAndSeedSettings) {
  test::TempDir dir("train_defaults");
  auto r =
      run_cli("train --preset seed-2d --epochs 1 --threads 1 --quiet --out " + dir.file("rec"));
  ASSERT_EQ(r.code, 0) << r.all;
  auto s = settings_of(dir.file("rec"));
  EXPECT_EQ(s.at("data"), "moons");
  EXPECT_EQ(s.at("init"), "he");
  EXPECT_EQ(s.at("standardize"), true);
  EXPECT_EQ(s.at("clip_grad_norm"), 0.5);
  EXPECT_EQ(s.at("batch_size"), 16);
  EXPECT_EQ(s.at("lr"), 0.1);
  EXPECT_EQ(s.at("momentum"), 0.9);

  r = run_cli("train --preset seed-2d --seed-settings --epochs 1 --threads 1 --quiet --out " +
              dir.file("seed"));
  ASSERT_EQ(r.code, 0) << r.all;
  s = settings_of(dir.file("seed"));
  EXPECT_EQ(s.at("init"), "torch");
  EXPECT_EQ(s.at("standardize"), false);
  EXPECT_EQ(s.at("clip_grad_norm"), 0.0);
  EXPECT_EQ(s.at("epochs"), 1);  // typed flags win over the preset

  // Typed flags win; --iterations replaces the preset's epoch count.
  r = run_cli(
      "train --preset seed-2d --iterations 3 --no-standardize --init xavier --threads 1 "
      "--quiet --out " +
      dir.file("mixed"));
  ASSERT_EQ(r.code, 0) << r.all;
  s = settings_of(dir.file("mixed"));
  EXPECT_EQ(s.at("epochs"), 2);  // the trainer's own default: --iterations was typed
  EXPECT_EQ(s.at("standardize"), false);
  EXPECT_EQ(s.at("init"), "xavier");
  EXPECT_EQ(s.at("clip_grad_norm"), 0.5);

  r = run_cli("train --preset seed-cnn --seed-settings --quiet --out " + dir.file("x"));
  EXPECT_EQ(r.code, 2) << r.all;
  EXPECT_NE(r.all.find("--seed-settings"), std::string::npos) << r.all;
}

TEST(Train2d, DataErrorsNameTheFlagOrFile) {
  test::TempDir dir("train_errors");
  test::write_text(dir.file("bad.csv"), "x1,x2,label\n0.1,0.2,0\n0.3,oops,1\n");
  test::write_text(dir.file("ok.csv"), "0.1,0.2,0\n0.3,0.4,1\n0.5,0.1,0\n0.2,0.2,1\n");
  test::write_text(dir.file("three.csv"), "0.1,0.2,0.3,0\n0.3,0.4,0.5,1\n");
  test::write_text(dir.file("labels.csv"), "0.1,0.2,0\n0.3,0.4,2\n");
  const std::string common = " --epochs 1 --threads 1 --quiet --out " + dir.file("run");
  auto r = run_cli("train --preset seed-2d --data " + dir.file("bad.csv") + common);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.all.find("bad.csv:3: column 2 'oops' is not a number"), std::string::npos) << r.all;
  r = run_cli("train --preset seed-2d --data moons --test-data " + dir.file("ok.csv") + common);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.all.find("--test-data"), std::string::npos) << r.all;
  r = run_cli("train --preset seed-2d --data " + dir.file("ok.csv") + " --test-data " +
              dir.file("three.csv") + common);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.all.find("three.csv:1: expected 3 columns"), std::string::npos) << r.all;
  r = run_cli("train --preset seed-2d --data " + dir.file("three.csv") + common);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.all.find("network takes 2"), std::string::npos) << r.all;
  r = run_cli("train --preset seed-2d --data " + dir.file("labels.csv") + common);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.all.find("label 2"), std::string::npos) << r.all;
  r = run_cli("train --preset seed-2d --data moonz" + common);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.all.find("unknown dataset 'moonz'"), std::string::npos) << r.all;
  r = run_cli("train --preset seed-2d --data " + dir.file("missing.csv") + common);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.all.find("missing.csv: cannot open"), std::string::npos) << r.all;
}

TEST(Train2d, DeadLastLayerIsReportedAndWarned) {
  // The seed-settings failure, made certain: the last hidden layer (8 units,
  // network index 8) starts with biases so negative that no point fires it.
  test::TempDir dir("train_dead");
  Network<float> net(find_preset("seed-2d").arch, {2});
  net.init(0, Init::he);
  const ParamInfo& b = net.find_param("8.bias");
  for (size_t i = 0; i < b.size; ++i) net.params()[b.offset + i] = -100.0f;
  save_model(dir.file("dead.safetensors"), net);
  const auto r = run_cli(
      "train --preset seed-2d --data circles --epochs 3 --threads 1 --quiet "
      "--json --init " +
      dir.file("dead.safetensors") + " --out " + dir.file("run"));
  ASSERT_EQ(r.code, 0) << r.all;
  const auto j = last_json(r.all);
  EXPECT_EQ(j.at("dead_relu")[4].at("layer"), 9) << r.all;
  EXPECT_EQ(j.at("dead_relu")[4].at("dead"), 8) << r.all;
  EXPECT_NE(r.all.find("layer 9 (relu): 8 of 8 units are dead"), std::string::npos) << r.all;
  EXPECT_NE(r.all.find("stuck near 0.6931, the loss of guessing uniformly (log K) for K = 2"),
            std::string::npos)
      << r.all;
  EXPECT_LT(j.at("test_accuracy").get<double>(), 0.6) << r.all;
}

TEST(Train2d, RecommendedDefaultsLearnMoons) {
  // The acceptance run: the seed-2d preset with its defaults (100 epochs).
  test::TempDir dir("train_moons");
  const auto r = run_cli("train --preset seed-2d --data moons --threads 1 --quiet --json --out " +
                         dir.file("run"));
  ASSERT_EQ(r.code, 0) << r.all;
  const auto j = last_json(r.all);
  // Seed 0 gives 0.95 to 0.96 depending on the kernels' float rounding; the
  // worst of seeds 0..29 was 0.935 (docs/part2.md), so 0.93 leaves no room
  // for a collapse (0.465 or 0.535) without failing on rounding.
  EXPECT_GE(j.at("test_accuracy").get<double>(), 0.93) << r.all;
  // Dead units are reported for each of the five ReLU layers; none is all dead.
  ASSERT_EQ(j.at("dead_relu").size(), 5u) << r.all;
  for (const auto& d : j.at("dead_relu")) EXPECT_LT(d.at("dead"), d.at("total")) << r.all;
  EXPECT_EQ(j.at("dead_relu")[4].at("total"), 8) << r.all;
  EXPECT_TRUE(test::is_png(dir.file("run/boundary.png")));
}

}  // namespace
}  // namespace handgrad
