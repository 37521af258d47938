// The layer zoo beyond the table-driven checks: hand-computed values, batch
// norm's running statistics and modes, dropout's masks (their rate, their
// independence from the thread split and their change from step to step),
// and the one-slice training of a network whose statistics span the batch.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "handgrad/core/error.h"
#include "handgrad/layers/layer.h"
#include "handgrad/model/network.h"
#include "handgrad/train/step_runner.h"

namespace handgrad {
namespace {

template <class T>
std::unique_ptr<Layer<T>> made(const std::string& name, const std::vector<double>& args,
                               const Dims& in) {
  auto l = make_layer<T>(name, args);
  l->configure(in);
  return l;
}

Pass<double> pass(const double* params, double* buffers, Buffer<double>* saved, int n, Mode m,
                  uint64_t seed = 0, long first = 0) {
  Pass<double> p;
  p.params = params;
  p.buffers = buffers;
  p.saved = saved;
  p.n = n;
  p.mode = m;
  p.seed = seed;
  p.first_sample = first;
  return p;
}

TEST(Activations, KnownValues) {
  const double x[] = {-2, -0.5, 0, 0.5, 2};
  double y[5];
  Buffer<double> saved;
  made<double>("sigmoid", {}, {5})->forward(pass(nullptr, nullptr, &saved, 1, Mode::eval), x, y);
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(y[i], 1 / (1 + std::exp(-x[i])), 1e-15);
  made<double>("leaky_relu", {0.1}, {5})->forward(pass(nullptr, nullptr, &saved, 1, Mode::eval), x, y);
  EXPECT_EQ(std::vector<double>(y, y + 5), (std::vector<double>{-0.2, -0.05, 0, 0.5, 2}));
  made<double>("elu", {}, {5})->forward(pass(nullptr, nullptr, &saved, 1, Mode::eval), x, y);
  EXPECT_NEAR(y[0], std::exp(-2.0) - 1, 1e-15);
  EXPECT_EQ(y[4], 2);
  made<double>("gelu", {}, {5})->forward(pass(nullptr, nullptr, &saved, 1, Mode::eval), x, y);
  // x Phi(x): Phi(2) = 0.977249868051821, Phi(-0.5) = 0.308537538725987
  EXPECT_NEAR(y[4], 2 * 0.977249868051821, 1e-14);
  EXPECT_NEAR(y[1], -0.5 * 0.308537538725987, 1e-14);
  EXPECT_EQ(y[2], 0);
}

TEST(Activations, ArgumentsOutOfRangeNameTheLayer) {
  for (const auto& [name, args, needle] :
       {std::tuple{"leaky_relu", std::vector<double>{1.5}, "layer 'leaky_relu': a must be <= 1"},
        std::tuple{"elu", std::vector<double>{-1}, "layer 'elu': a must be >= 0"},
        std::tuple{"dropout", std::vector<double>{1}, "layer 'dropout': p must be < 1"},
        std::tuple{"avgpool", std::vector<double>{0}, "layer 'avgpool': kernel must be positive"}}) {
    try {
      make_layer<float>(name, args);
      ADD_FAILURE() << name << " accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  }
}

// 1 x 4 x 4 = 1..16; 2 x 2 windows: means of 1 2 5 6 etc.
TEST(AvgPool, HandComputed) {
  auto pool = made<double>("avgpool", {2}, {1, 4, 4});
  std::vector<double> x(16), y(4), dout = {4, 8, 12, 16}, din(16);
  for (int i = 0; i < 16; ++i) x[i] = i + 1;
  Buffer<double> saved;
  const auto p = pass(nullptr, nullptr, &saved, 1, Mode::train);
  pool->forward(p, x.data(), y.data());
  EXPECT_EQ(y, (std::vector<double>{3.5, 5.5, 11.5, 13.5}));
  pool->backward(p, x.data(), y.data(), dout.data(), din.data(), nullptr);
  EXPECT_EQ(din[0], 1);
  EXPECT_EQ(din[5], 1);
  EXPECT_EQ(din[15], 4);
  // Overlapping 3x3 windows, stride 1, on 3x4: the middle columns are in both.
  auto overlap = made<double>("avgpool", {3, 1}, {1, 3, 4});
  std::vector<double> y2(2), d2 = {9, 18}, din2(12);
  overlap->forward(p, x.data(), y2.data());
  EXPECT_DOUBLE_EQ(y2[0], (1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11) / 9.0);
  overlap->backward(p, x.data(), y2.data(), d2.data(), din2.data(), nullptr);
  EXPECT_EQ(din2[0], 1);
  EXPECT_EQ(din2[1], 3);
  EXPECT_EQ(din2[3], 2);
}

TEST(Gap, MeanPerChannel) {
  auto gap = made<double>("gap", {}, {2, 2, 3});
  EXPECT_EQ(gap->out_dims(), (Dims{2, 1, 1}));
  const std::vector<double> x = {1, 2, 3, 4, 5, 6, 10, 10, 10, 10, 10, 16};
  std::vector<double> y(2), din(12);
  Buffer<double> saved;
  const auto p = pass(nullptr, nullptr, &saved, 1, Mode::train);
  gap->forward(p, x.data(), y.data());
  EXPECT_DOUBLE_EQ(y[0], 3.5);
  EXPECT_DOUBLE_EQ(y[1], 11);
  const double dout[] = {6, 12};
  gap->backward(p, x.data(), y.data(), dout, din.data(), nullptr);
  EXPECT_EQ(din[0], 1);
  EXPECT_EQ(din[11], 2);
}

// Two samples of 2 features: batch mean / biased variance normalise, the
// running statistics take 0.1 of the batch's, with the unbiased variance.
TEST(BatchNorm, TrainUsesBatchStatisticsAndUpdatesRunningOnes) {
  auto bn = made<double>("batchnorm", {}, {2});
  ASSERT_EQ(bn->tensors().size(), 5u);
  EXPECT_EQ(bn->tensors()[4].name, "num_batches_tracked");
  EXPECT_EQ(bn->tensors()[4].dtype, DType::i64);
  EXPECT_TRUE(bn->couples_batch());
  std::vector<double> params(4), buffers(5);
  Rng rng(0);
  bn->init(params.data(), buffers.data(), rng, Init::torch);
  EXPECT_EQ(params, (std::vector<double>{1, 1, 0, 0}));
  EXPECT_EQ(buffers, (std::vector<double>{0, 0, 1, 1, 0}));
  params = {2, 1, 0.5, 0};  // gamma, beta
  const std::vector<double> x = {1, 10, 3, 30};  // feature 0: 1, 3; feature 1: 10, 30
  std::vector<double> y(4);
  Buffer<double> saved;
  bn->forward(pass(params.data(), buffers.data(), &saved, 2, Mode::train), x.data(), y.data());
  // feature 0: mean 2, var 1 -> xhat -1, 1 (up to eps)
  const double s = 1 / std::sqrt(1 + 1e-5);
  EXPECT_NEAR(y[0], 2 * -s + 0.5, 1e-12);
  EXPECT_NEAR(y[2], 2 * s + 0.5, 1e-12);
  EXPECT_NEAR(buffers[0], 0.2, 1e-12);             // running mean 0.9 * 0 + 0.1 * 2
  EXPECT_NEAR(buffers[1], 2.0, 1e-12);             // 0.1 * 20
  EXPECT_NEAR(buffers[2], 0.9 + 0.1 * 2, 1e-12);   // unbiased variance 2
  EXPECT_NEAR(buffers[3], 0.9 + 0.1 * 200, 1e-12);
  EXPECT_EQ(buffers[4], 1);
  // Evaluation: the running statistics, buffers untouched.
  const std::vector<double> before = buffers;
  bn->forward(pass(params.data(), buffers.data(), &saved, 2, Mode::eval), x.data(), y.data());
  EXPECT_NEAR(y[0], 2 * (1 - 0.2) / std::sqrt(1.1 + 1e-5) + 0.5, 1e-12);
  EXPECT_EQ(buffers, before);
}

TEST(BatchNorm, OneValuePerChannelIsRefusedInTraining) {
  auto bn = made<float>("batchnorm", {}, {3});
  std::vector<float> params(6, 1), buffers(7), x(3), y(3);
  Buffer<float> saved;
  Pass<float> p;
  p.params = params.data();
  p.buffers = buffers.data();
  p.saved = &saved;
  p.n = 1;
  EXPECT_THROW(bn->forward(p, x.data(), y.data()), Error);
  p.mode = Mode::eval;
  EXPECT_NO_THROW(bn->forward(p, x.data(), y.data()));
}

// Dropout: the rate, the scale, identity in evaluation, a mask that depends
// on the sample's index in the batch and not on how the batch is cut.
TEST(Dropout, MasksAreSplitIndependentAndChangeWithTheKey) {
  const int n = 6, f = 5000;
  auto d = made<double>("dropout", {0.3}, {f});
  std::vector<double> x(static_cast<size_t>(n) * f, 1.0), all(x.size()), parts(x.size());
  Buffer<double> saved;
  d->forward(pass(nullptr, nullptr, &saved, n, Mode::train, 77), x.data(), all.data());
  size_t zeros = 0;
  for (double v : all) {
    EXPECT_TRUE(v == 0 || std::fabs(v - 1 / 0.7) < 1e-12) << v;
    zeros += v == 0;
  }
  EXPECT_NEAR(static_cast<double>(zeros) / all.size(), 0.3, 0.01);
  // Samples [0, 2) and [2, 6) as two calls: the same masks.
  d->forward(pass(nullptr, nullptr, &saved, 2, Mode::train, 77, 0), x.data(), parts.data());
  d->forward(pass(nullptr, nullptr, &saved, 4, Mode::train, 77, 2), x.data() + 2 * f,
             parts.data() + 2 * f);
  EXPECT_EQ(all, parts);
  // Another key (the next step): other masks; evaluation: the identity.
  d->forward(pass(nullptr, nullptr, &saved, n, Mode::train, 78), x.data(), parts.data());
  EXPECT_NE(all, parts);
  d->forward(pass(nullptr, nullptr, &saved, n, Mode::eval, 77), x.data(), parts.data());
  EXPECT_EQ(parts, x);
}

TEST(Dropout, RandomKeysAreDistinctPerStepAndLayer) {
  EXPECT_NE(step_key(0, 0), step_key(0, 1));
  EXPECT_NE(step_key(0, 0), step_key(1, 0));
  EXPECT_NE(layer_key(step_key(0, 0), 2), layer_key(step_key(0, 0), 3));
}

std::vector<float> grads_with(Network<float>& net, int threads, const std::vector<float>& x,
                              const std::vector<int>& y, uint64_t key) {
  StepRunner r(net, threads, /*adapt=*/false);
  r.set_step_key(key);
  r.loss_and_grad(x.data(), y.data(), static_cast<int>(y.size()));
  return {r.grads(), r.grads() + net.num_params()};
}

// Dropout masks do not move with the thread split; a batch-norm network is
// trained as one slice (bit-identical whatever the thread count), and its
// running statistics are those of the whole batch.
TEST(StepRunner, DropoutAndBatchNormDoNotDependOnThreads) {
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> x(7 * 12);
  for (auto& v : x) v = u(rng);
  const std::vector<int> y = {0, 1, 2, 0, 1, 2, 0};
  Network<float> drop("linear(16) relu dropout(0.4) linear(3)", {12});
  drop.init(2);
  const auto g1 = grads_with(drop, 1, x, y, 5), g3 = grads_with(drop, 3, x, y, 5);
  for (size_t i = 0; i < g1.size(); ++i) EXPECT_NEAR(g1[i], g3[i], 1e-6) << i;
  EXPECT_NE(g1, grads_with(drop, 1, x, y, 6));  // another step's masks

  Network<float> bn("linear(8) batchnorm relu linear(3)", {12});
  bn.init(2);
  const std::vector<float> stats0(bn.buffers(), bn.buffers() + bn.num_buffers());
  const auto b1 = grads_with(bn, 1, x, y, 0);
  const std::vector<float> stats1(bn.buffers(), bn.buffers() + bn.num_buffers());
  std::copy(stats0.begin(), stats0.end(), bn.buffers());
  EXPECT_EQ(b1, grads_with(bn, 3, x, y, 0));
  EXPECT_EQ(stats1, std::vector<float>(bn.buffers(), bn.buffers() + bn.num_buffers()));
  EXPECT_EQ(bn.buffers()[bn.find_param("1.num_batches_tracked").offset], 1.0f);
}

}  // namespace
}  // namespace handgrad
