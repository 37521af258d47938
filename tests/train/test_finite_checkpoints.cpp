// Issue 14, item 4: NaN and infinity are never saved as good. A run whose
// parameters or test loss stop being finite exits with an error naming
// the step and keeps the last finite checkpoint; float settings are checked
// as floats; eval, boundary and --init refuse a model with NaN in it.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "handgrad/core/error.h"
#include "handgrad/core/safetensors.h"
#include "handgrad/model/model_file.h"
#include "handgrad/model/network.h"
#include "handgrad/train/session.h"
#include "handgrad/train/trainer.h"
#include "support/train_fixture.h"

using namespace handgrad::test;

namespace handgrad {
namespace {

// 192 training points in batches of 16: 12 steps an epoch, a checkpoint at
// steps 12 and 24.
TrainOptions two_epochs(const std::string& out) {
  TrainOptions o;
  o.arch = "linear(8) relu linear(2)";
  o.input = "2";
  o.data.data = "moons";
  o.data.n = 240;
  o.threads = 1;
  o.batch_size = 16;
  o.epochs = 2;
  o.quiet = true;
  o.plots = false;
  o.out_dir = out;
  return o;
}

// Every tensor of the kept model is finite and it was written at `step`.
void expect_finite_model_at(const std::string& path, long step) {
  const SafeTensors st = read_safetensors(path);
  EXPECT_EQ(st.metadata.at("step"), std::to_string(step));
  for (const auto& t : st.tensors) {
    for (float v : t.data) ASSERT_TRUE(std::isfinite(v)) << t.name;
  }
}

// The error a run ends with ("" when it finishes).
std::string run_error(Session& s) {
  try {
    s.run();
    s.finish();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A hidden unit's bias at -inf keeps the loss finite (relu(-inf) = 0, and
// the unit's gradient is 0), so only a check of the parameters finds it.
TEST(FiniteCheckpoints, AnInfiniteParameterIsNotCheckpointed) {
  const TempDir d("inf_param");
  Session s(two_epochs(d.file("run")));
  const size_t bias = s.network().find_param("0.bias").offset;
  s.set_gradient_fn([&](const float* x, const int* y, int n) {
    const double loss = s.runner().loss_and_grad(x, y, n);
    if (s.step() == 14) s.runner().grads()[bias] = std::numeric_limits<float>::infinity();
    return loss;
  });
  const std::string err = run_error(s);
  EXPECT_NE(err.find("training diverged: parameter '0.bias' is infinite (at index 0) at step 24"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("kept the last good checkpoint"), std::string::npos) << err;
  EXPECT_NE(err.find("(step 12)"), std::string::npos) << err;
  expect_finite_model_at(d.file("run/model.safetensors"), 12);
}

// Parameters near 1e29 are finite, but the logits they give are not: the
// test loss is what shows it (the training loss here is made up).
TEST(FiniteCheckpoints, ANonFiniteTestLossStopsTheRun) {
  const TempDir d("nan_test_loss");
  Session s(two_epochs(d.file("run")));
  s.set_gradient_fn([&](const float* x, const int* y, int n) {
    const double loss = s.runner().loss_and_grad(x, y, n);
    if (s.step() < 14) return loss;
    float* g = s.runner().grads();
    for (size_t i = 0; i < s.network().num_params(); ++i) g[i] = -1e30f;
    return 0.5;
  });
  const std::string err = run_error(s);
  EXPECT_NE(err.find("training diverged: the test loss is"), std::string::npos) << err;
  EXPECT_NE(err.find("(step 12)"), std::string::npos) << err;
  expect_finite_model_at(d.file("run/model.safetensors"), 12);
  const std::string metrics = slurp(d.file("run/metrics.csv"));
  EXPECT_EQ(metrics.find("nan"), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("inf"), std::string::npos) << metrics;
}

// 1e39 is finite as a double and infinite as the float the step uses; a
// momentum of 1 - 1e-9 rounds to 1 in float.
TEST(FiniteCheckpoints, FloatSettingsAreCheckedAsFloats) {
  const TempDir d("float_flags");
  const std::string args = "train --preset seed-2d --data moons --n 240 --quiet --iterations 1 ";
  auto r = run_cli(args + "--lr 1e39 --out " + d.file("a"));
  EXPECT_EQ(r.code, 2) << r.all;
  EXPECT_NE(r.err.find("--lr: 1e+39 is not a positive finite float32"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d.file("a/model.safetensors")));
  r = run_cli(args + "--momentum 0.999999999 --out " + d.file("b"));
  EXPECT_EQ(r.code, 2) << r.all;
  EXPECT_NE(
      r.err.find(
          "--momentum: must be in [0, 1) as the float32 the optimizer steps in, got 0.999999999"),
      std::string::npos)
      << r.err;
}

TEST(FiniteCheckpoints, CommandsRefuseAModelHoldingNaN) {
  const TempDir d("nan_model");
  Network<float> net("linear(4) relu linear(2)", {2});
  net.init(0);
  net.params()[net.find_param("2.weight").offset + 3] = std::numeric_limits<float>::quiet_NaN();
  const std::string m = d.file("nan.safetensors");
  save_model(m, net);
  const std::string want = m + ": tensor '2.weight' holds NaN (at index 3)";
  for (const std::string& cmd :
       {"eval --model " + m + " --data moons",
        "boundary --model " + m + " --data moons --out " + d.file("b.png"),
        "train --arch 'linear(4) relu linear(2)' --data moons --n 240 --quiet --iterations 1 "
        "--init " +
            m + " --out " + d.file("run")}) {
    SCOPED_TRACE(cmd);
    const auto r = run_cli(cmd);
    EXPECT_EQ(r.code, 1) << r.all;
    EXPECT_NE(r.err.find(want), std::string::npos) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
  }
  EXPECT_FALSE(fs::exists(d.file("b.png")));
}

// 1e39 reads as infinity in the float standardizer: every input would be
// -inf after it.
TEST(FiniteCheckpoints, CommandsRefuseANonFiniteStandardizer) {
  const TempDir d("inf_mean");
  Network<float> net("linear(4) relu linear(2)", {2});
  net.init(0);
  const std::string m = d.file("m.safetensors");
  save_model(m, net, {{"standardize", R"({"mean":[1e39,0],"std":[1,1]})"}});
  const auto r = run_cli("eval --model " + m + " --data moons");
  EXPECT_EQ(r.code, 1) << r.all;
  EXPECT_NE(r.err.find("metadata 'standardize' has a non-finite mean"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace handgrad
