// Exported models in real consumers: python3-onnx's checker and strict
// shape inference, and ONNX Runtime (npm onnxruntime-node) computing the
// same logits as `handgrad eval` on 1,000 MNIST test images or a 2-D test
// set: max |difference| <= 1e-5 and the same predicted class everywhere.
// Skips, saying so, when MNIST, python3-onnx or onnxruntime-node is absent
// (CI installs them: scripts/setup.sh, scripts/npm_deps.sh).
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

#include "export/onnx_util.h"
#include "handgrad/core/rng.h"
#include "handgrad/export/onnx.h"
#include "support/layer_cases.h"
#include "support/test_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace handgrad {
namespace {

using onnx_test::check_with_onnx;
using onnx_test::compare_in_ort;
using test::TempDir;

struct Case {
  std::string train;  // `handgrad train` flags (data, network, steps)
  std::string data;   // data flags for `handgrad eval`
  std::string export_flags;
  int batch = 0;         // the exported batch (0: dynamic)
  nlohmann::json input;  // the input shape the checker must infer
  int classes = 10;
  int n = 1000;  // test samples compared
  bool normalized = false;
};

std::string mnist_flags() {
  return "--data mnist --data-dir " + test::mnist_dir();
}

// Trains, exports, checks, compares. Returns why a consumer was skipped.
std::string round_trip(const Case& c, const std::string& tag) {
  if (!onnx_export_available()) return "this handgrad was built without ONNX support";
  const TempDir dir("onnx_" + tag);
  const std::string model = dir.file("run/model.safetensors"), onnx = dir.file("model.onnx");
  const CliResult t = run_cli("train " + c.train + " --out " + dir.file("run") + " --quiet");
  EXPECT_EQ(t.code, 0) << t.err;
  const CliResult e = run_cli("export --model " + model + " --out " + onnx + " " + c.export_flags);
  EXPECT_EQ(e.code, 0) << e.err;
  if (t.code != 0 || e.code != 0) return "";
  std::string skipped;
  if (const std::string why = onnx_test::python_onnx_missing(); !why.empty()) {
    skipped += why + "; ";
  } else {
    const nlohmann::json j = check_with_onnx(onnx);
    const nlohmann::json batch = c.batch > 0 ? nlohmann::json(c.batch) : nlohmann::json("N");
    EXPECT_EQ(j["inputs"]["input"], c.input);
    EXPECT_EQ(j["outputs"]["logits"], nlohmann::json({batch, c.classes}));
    EXPECT_EQ(j["outputs"]["probabilities"], nlohmann::json({batch, c.classes}));
    EXPECT_TRUE(j["metadata"].contains("arch") && j["metadata"].contains("training")) << j;
    EXPECT_EQ(j["ops"].front() == "Sub", c.normalized) << j["ops"];
    EXPECT_EQ(j["ops"].back(), "Softmax");
  }
  if (const std::string why = onnx_test::ort_missing(); !why.empty()) return skipped + why;
  const std::string dump = dir.file("logits.safetensors");
  const CliResult ev = run_cli("eval --model " + model + " " + c.data + " --test-limit " +
                               std::to_string(c.n) + " --logits " + dump);
  EXPECT_EQ(ev.code, 0) << ev.err;
  const nlohmann::json r = compare_in_ort(onnx, dump, c.batch);
  EXPECT_EQ(r["n"], c.n);
  EXPECT_EQ(r["inputs"], nlohmann::json({"input"}));
  EXPECT_EQ(r["outputs"], nlohmann::json({"logits", "probabilities"}));
  EXPECT_LE(r["max_abs_diff"].get<double>(), 1e-5) << r;
  EXPECT_LE(r["max_prob_diff"].get<double>(), 1e-5) << r;
  EXPECT_EQ(r["class_mismatches"], 0) << r;
  std::printf(
      "%s: ONNX Runtime %s vs handgrad on %d test samples: max |logit diff| %.3g "
      "(relative %.3g), max |probability diff| %.3g, %d different classes\n",
      tag.c_str(), r["onnxruntime"].get<std::string>().c_str(), c.n,
      r["max_abs_diff"].get<double>(), r["max_rel_diff"].get<double>(),
      r["max_prob_diff"].get<double>(), r["class_mismatches"].get<int>());
  return skipped;
}

#define ROUND_TRIP(c, tag)                                        \
  do {                                                            \
    const std::string skipped = round_trip(c, tag);               \
    if (!skipped.empty()) GTEST_SKIP() << "skipped: " << skipped; \
  } while (0)

#define NEED_MNIST() \
  if (test::mnist_dir().empty()) GTEST_SKIP() << test::kNoMnist

TEST(OnnxRuntime, SeedCnn) {
  NEED_MNIST();
  Case c;
  c.train = "--preset seed-cnn --iterations 300 --train-limit 2000 " + mnist_flags();
  c.data = mnist_flags();
  c.input = {"N", 1, 28, 28};
  ROUND_TRIP(c, "seed-cnn");
}

// --normalize folds into Sub/Div; the lowest opset.
TEST(OnnxRuntime, SeedMlpNormalizedOpset13) {
  NEED_MNIST();
  Case c;
  c.train = "--preset seed-mlp --iterations 300 --train-limit 2000 --normalize " + mnist_flags();
  c.data = mnist_flags();
  c.export_flags = "--opset 13";
  c.input = {"N", 1, 28, 28};
  c.normalized = true;
  ROUND_TRIP(c, "seed-mlp");
}

// Standardised 2-D inputs; a fixed batch of 16 (200 test points: the last
// run is padded).
TEST(OnnxRuntime, Seed2dFixedBatch) {
  Case c;
  c.train = "--preset seed-2d --data moons --iterations 200";
  c.data = "--data moons";
  c.export_flags = "--batch 16";
  c.batch = 16;
  c.input = {16, 2};
  c.classes = 2;
  c.n = 200;
  c.normalized = true;
  ROUND_TRIP(c, "seed-2d");
}

// conv with stride and padding, overlapping max pools (3/2 and 2/1).
TEST(OnnxRuntime, ConvStridePaddingOverlappingPools) {
  NEED_MNIST();
  Case c;
  c.train =
      "--arch 'conv(6,3,2,1) relu maxpool(3,2) conv(5,3,1,2) relu maxpool(2,1) flatten "
      "linear(10)' --iterations 150 --train-limit 1000 " +
      mnist_flags();
  c.data = mnist_flags();
  c.export_flags = "--opset 15";
  c.input = {"N", 1, 28, 28};
  ROUND_TRIP(c, "conv-stride-pad-pools");
}

// identity and flatten on flat inputs, no standardisation, 3 classes.
TEST(OnnxRuntime, IdentityFlattenOnPoints) {
  Case c;
  c.train =
      "--arch 'flatten identity linear(16) relu identity linear(3)' --data blobs --iterations "
      "150 --no-standardize";
  c.data = "--data blobs";
  c.input = {"N", 2};
  c.classes = 3;
  c.n = 200;
  ROUND_TRIP(c, "identity-flatten");
}

// Every layer row (tests/support/layer_cases.h) in its small network, trained
// 40 steps on random data of its input shape (so that batch norm's running
// statistics are not their initial values), in evaluation mode in ONNX
// Runtime against handgrad's logits.
class LayerOnnx : public ::testing::TestWithParam<test::LayerCase> {};

TEST_P(LayerOnnx, RunsInOnnxRuntime) {
  const test::LayerCase& lc = GetParam();
  const TempDir dir("onnx_row");
  const std::string csv = dir.file("data.csv");
  {
    std::ofstream f(csv);
    Rng rng(5);
    for (int i = 0; i < 64; ++i) {
      for (size_t j = 0; j < numel(lc.in); ++j) f << rng.normal() << ",";
      f << i % 3 << "\n";
    }
  }
  Case c;
  c.train = "--arch '" + lc.network() + "' --input " + dims_str(lc.in) + " --data " + csv +
            " --test-data " + csv + " --iterations 40 --batch-size 8 --no-standardize";
  c.data = "--data " + csv + " --test-data " + csv;
  c.input = {"N"};
  for (int d : lc.in) c.input.push_back(d);
  c.classes = 3;
  c.n = 64;
  std::string tag = "row_" + lc.token();  // a folder name the shell takes unquoted
  for (char& ch : tag) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  ROUND_TRIP(c, tag);
}

INSTANTIATE_TEST_SUITE_P(All, LayerOnnx, ::testing::ValuesIn(test::layer_cases()),
                         [](const auto& info) {
                           return info.param.name + std::to_string(info.index);
                         });

// The comparison is not vacuous: another model's logits do not match.
TEST(OnnxRuntime, ComparisonCatchesAnotherModel) {
  if (!onnx_export_available()) GTEST_SKIP() << "built without ONNX support";
  if (const std::string why = onnx_test::ort_missing(); !why.empty()) GTEST_SKIP() << why;
  const TempDir dir("onnx_control");
  for (const char* seed : {"0", "1"}) {
    const CliResult t = run_cli("train --preset seed-2d --data moons --iterations 100 --seed " +
                                std::string(seed) + " --out " + dir.file(seed) + " --quiet");
    ASSERT_EQ(t.code, 0) << t.err;
  }
  ASSERT_EQ(
      run_cli("export --model " + dir.file("0/model.safetensors") + " --out " + dir.file("0.onnx"))
          .code,
      0);
  ASSERT_EQ(run_cli("eval --model " + dir.file("1/model.safetensors") + " --logits " +
                    dir.file("1.logits"))
                .code,
            0);
  const nlohmann::json r = compare_in_ort(dir.file("0.onnx"), dir.file("1.logits"), 0);
  EXPECT_GT(r["max_abs_diff"].get<double>(), 1e-2) << r;
}

// examples/onnx/classify.js gives the class and probability that
// `handgrad predict` gives for the same 28x28 PNG.
TEST(OnnxRuntime, ExampleClassifiesLikePredict) {
  NEED_MNIST();
  if (!onnx_export_available()) GTEST_SKIP() << "built without ONNX support";
  if (const std::string why = onnx_test::ort_missing(); !why.empty()) GTEST_SKIP() << why;
  const TempDir dir("onnx_example");
  const std::string model = dir.file("run/model.safetensors"), onnx = dir.file("m.onnx");
  ASSERT_EQ(run_cli("train --preset seed-cnn --iterations 300 --train-limit 2000 " + mnist_flags() +
                    " --out " + dir.file("run") + " --quiet")
                .code,
            0);
  ASSERT_EQ(run_cli("export --model " + model + " --out " + onnx).code, 0);
  for (const char* png : {"seven.png", "three.png"}) {
    const std::string image = onnx_test::source(std::string("examples/onnx/") + png);
    const CliResult ex = onnx_test::run_shell(
        "NODE_PATH=" + onnx_test::npm_dir() + "/node_modules node " +
        onnx_test::source("examples/onnx/classify.js") + " " + onnx + " " + image);
    ASSERT_EQ(ex.code, 0) << ex.err;
    int cls = -1;
    double p = -1;
    ASSERT_EQ(std::sscanf(ex.out.c_str(), "%d %lf", &cls, &p), 2) << ex.out;
    const CliResult pr = run_cli("predict --model " + model + " --fit stretch --json " + image);
    ASSERT_EQ(pr.code, 0) << pr.err;
    const auto top =
        nlohmann::json::parse(pr.out.substr(pr.out.rfind("\n{") + 1))["predictions"][0]["top"][0];
    EXPECT_EQ(cls, top["class"].get<int>()) << png << ": " << ex.out;
    EXPECT_NEAR(p, top["probability"].get<double>(), 6e-5) << png << ": " << ex.out;
  }
}

}  // namespace
}  // namespace handgrad
