// Softmax cross-entropy and SGD against hand-computed values with
// torch.optim.SGD's documented update rule.
#include <gtest/gtest.h>

#include <cmath>

#include "handgrad/core/error.h"
#include "handgrad/core/rng.h"
#include "handgrad/layers/loss.h"
#include "handgrad/optim/sgd.h"

namespace handgrad {
namespace {

SgdOptions sgd(double lr, double momentum, double wd, bool nesterov) {
  SgdOptions o;
  o.lr = lr;
  o.momentum = momentum;
  o.weight_decay = wd;
  o.nesterov = nesterov;
  return o;
}

TEST(CrossEntropy, ValueAndGradient) {
  const float logits[] = {0, 0, 1, 2, 3, 4};  // (2 samples, 3 classes)
  const int labels[] = {0, 2};
  float d[6];
  const double sum = softmax_cross_entropy(logits, labels, 2, 3, d, 2);
  const double l1 = std::log(std::exp(2.0) + std::exp(3.0) + std::exp(4.0)) - 4.0;
  EXPECT_NEAR(sum, (std::log(2 + std::exp(1.0)) - 0) + l1, 1e-6);
  // (softmax - onehot) / N
  const double p0 = 1 / (2 + std::exp(1.0));
  EXPECT_NEAR(d[0], (p0 - 1) / 2, 1e-7);
  EXPECT_NEAR(d[2], std::exp(1.0) * p0 / 2, 1e-7);
  double row = 0;
  for (int j = 3; j < 6; ++j) row += d[j];
  EXPECT_NEAR(row, 0, 1e-7);  // each gradient row sums to zero
}

TEST(CrossEntropy, StableForHugeLogits) {
  const float logits[] = {1000, 0};
  const int label[] = {1};
  float d[2];
  EXPECT_NEAR(softmax_cross_entropy(logits, label, 1, 2, d, 1), 1000.0, 1e-3);
  EXPECT_TRUE(std::isfinite(d[0]) && std::isfinite(d[1]));
  EXPECT_NEAR(d[1], -1.0, 1e-6);
}

TEST(CrossEntropy, GradientScaledByWholeBatch) {
  const float logits[] = {0, 0};
  const int label[] = {0};
  float d[2];
  softmax_cross_entropy(logits, label, 1, 2, d, 4);  // one thread's share of a batch of 4
  EXPECT_FLOAT_EQ(d[0], -0.5f / 4);
}

TEST(CrossEntropy, RejectsLabelOutOfRange) {
  const float logits[] = {0, 0};
  const int label[] = {2};
  EXPECT_THROW(softmax_cross_entropy(logits, label, 1, 2, (float*)nullptr, 1), Error);
}

TEST(Sgd, MomentumMatchesTorchRule) {
  // p=1, g=0.5 then g=0.25; lr 0.1, mu 0.9
  // step 1: v = 0.5, p = 1 - 0.05 = 0.95
  // step 2: v = 0.45 + 0.25 = 0.7, p = 0.95 - 0.07 = 0.88
  Sgd<double> opt(1, sgd(0.1, 0.9, 0.0, false));
  double p = 1, g = 0.5;
  opt.step(&p, &g);
  EXPECT_DOUBLE_EQ(p, 0.95);
  g = 0.25;
  opt.step(&p, &g);
  EXPECT_NEAR(p, 0.88, 1e-15);
}

TEST(Sgd, NesterovAndWeightDecay) {
  // wd 0.1: g' = g + 0.1 p = 0.5 + 0.1 = 0.6; v = 0.6; nesterov: d = 0.6 + 0.9*0.6 = 1.14
  Sgd<double> opt(1, sgd(0.1, 0.9, 0.1, true));
  double p = 1, g = 0.5;
  opt.step(&p, &g);
  EXPECT_NEAR(p, 1 - 0.114, 1e-15);
  EXPECT_NEAR(opt.velocity()[0], 0.6, 1e-15);
}

TEST(Sgd, PlainWithoutMomentum) {
  Sgd<float> opt(2, sgd(0.5, 0.0, 0.0, false));
  float p[] = {1, 2}, g[] = {1, -1};
  opt.step(p, g);
  EXPECT_FLOAT_EQ(p[0], 0.5f);
  EXPECT_FLOAT_EQ(p[1], 2.5f);
}

TEST(Sgd, ValidatesOptions) {
  EXPECT_THROW(validate(sgd(0.0, 0.9, 0, false)), UsageError);
  EXPECT_THROW(validate(sgd(-1, 0.9, 0, false)), UsageError);
  EXPECT_THROW(validate(sgd(NAN, 0.9, 0, false)), UsageError);
  EXPECT_THROW(validate(sgd(0.1, 1.0, 0, false)), UsageError);
  EXPECT_THROW(validate(sgd(0.1, 0.9, -1, false)), UsageError);
  EXPECT_THROW(validate(sgd(0.1, 0.0, 0, true)), UsageError);
  EXPECT_NO_THROW(validate(sgd(0.1, 0.9, 1e-4, true)));
}

TEST(Rng, DeterministicAndUniform) {
  Rng a(5), b(5);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.next_u64(), b.next_u64());
  Rng r(1);
  int counts[4] = {};
  for (int i = 0; i < 40000; ++i) counts[r.below(4)]++;
  for (int c : counts) EXPECT_NEAR(c, 10000, 400);
  auto p = r.permutation(10);
  std::sort(p.begin(), p.end());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(p[i], i);
  double s = 0, ss = 0;
  for (int i = 0; i < 20000; ++i) {
    const double v = r.normal();
    s += v;
    ss += v * v;
  }
  EXPECT_NEAR(s / 20000, 0, 0.03);
  EXPECT_NEAR(ss / 20000, 1, 0.05);
}

}  // namespace
}  // namespace handgrad
