// StepRunner with several threads, in-process, so that scripts/tsan.sh (a
// ThreadSanitizer build) sees every access of the threaded step: the
// per-thread slices, the gradient reduction and predict. The results must
// also agree with one thread (the sum order differs, so not bit for bit).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "handgrad/model/network.h"
#include "handgrad/train/step_runner.h"
#include "support/train_fixture.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace handgrad {
namespace {

TEST(Threads, StepRunnerAgreesWithOneThread) {
  Network<float> net("conv(4,3) relu maxpool(2) flatten linear(16) relu linear(5)", {1, 10, 10});
  net.init(7);
  const int n = 37;  // not a multiple of the thread count: uneven slices
  std::vector<float> x(static_cast<size_t>(n) * 100);
  std::vector<int> y(n);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i));
  for (int i = 0; i < n; ++i) y[static_cast<size_t>(i)] = i % 5;

  StepRunner one(net, 1);
  const double loss1 = one.loss_and_grad(x.data(), y.data(), n);
  const std::vector<float> g1(one.grads(), one.grads() + net.num_params());
  std::vector<float> logits1(static_cast<size_t>(n) * 5), logits4(logits1.size());
  one.predict(x.data(), n, logits1.data());

  StepRunner four(net, 4, /*adapt=*/false);
  for (int rep = 0; rep < 3; ++rep) {  // reuse of the workers' buffers too
    const double loss4 = four.loss_and_grad(x.data(), y.data(), n);
    EXPECT_NEAR(loss4, loss1, 1e-5);
    for (size_t i = 0; i < g1.size(); ++i) ASSERT_NEAR(four.grads()[i], g1[i], 1e-4) << i;
    four.predict(x.data(), n, logits4.data());
    for (size_t i = 0; i < logits1.size(); ++i) ASSERT_NEAR(logits4[i], logits1[i], 1e-4) << i;
  }
}

// The CLI with two threads (under scripts/tsan.sh the binary is the TSan
// build, and a race makes it exit 66): same seed, same threads, same bytes.
TEST(Threads, TrainWithTwoThreadsIsDeterministic) {
  const std::string data = handgrad::test::synthetic_mnist("threads_data", 120, 40);
  const std::string a = handgrad::test::temp_dir("threads_a"), b = handgrad::test::temp_dir("threads_b");
  const std::string args = "train --preset seed-cnn --data-dir " + data +
                           " --threads 2 --iterations 6 --batch-size 16 --quiet --out ";
  const auto ra = handgrad::test::run_cli(args + a), rb = handgrad::test::run_cli(args + b);
  ASSERT_EQ(ra.code, 0) << ra.err;
  ASSERT_EQ(rb.code, 0) << rb.err;
  EXPECT_EQ(handgrad::test::slurp(a + "/model.safetensors"), handgrad::test::slurp(b + "/model.safetensors"));
}

}  // namespace
}  // namespace handgrad
