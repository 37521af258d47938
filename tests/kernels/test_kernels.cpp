// The fast kernels against the reference layers: every SIMD level this CPU
// runs, on random shapes chosen to hit the tails (odd sizes, batch 1,
// channel counts that are not a multiple of the vector width, padding).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "handgrad/core/error.h"
#include "handgrad/model/network.h"
#include "handgrad/optim/sgd.h"
#include "handgrad/train/step_runner.h"
#include "kernels/kernels.h"
#include "model/plan.h"
#include "support/layer_cases.h"

namespace handgrad {
namespace {

std::vector<float> random_vec(size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

// max |a - b| / max(1e-3, max |b|)
double rel_err(const float* a, const float* b, size_t n) {
  double num = 0.0, den = 1e-3;
  for (size_t i = 0; i < n; ++i) {
    num = std::max(num, std::fabs(static_cast<double>(a[i]) - b[i]));
    den = std::max(den, std::fabs(static_cast<double>(b[i])));
  }
  return num / den;
}

struct Case {
  std::string arch;
  Dims input;
  int batch;
};

// Forward logits, parameter gradients and the buffers a training step
// updates (running statistics): reference vs each fast table, each from the
// same starting buffers.
void check_network(const Case& c) {
  SCOPED_TRACE(c.arch + " on " + dims_str(c.input) + " batch " + std::to_string(c.batch));
  Network<float> net(c.arch, c.input);
  net.init(7);
  std::mt19937 rng(11);
  const auto x = random_vec(numel(c.input) * c.batch, rng);
  std::vector<int> labels(c.batch);
  for (int b = 0; b < c.batch; ++b) labels[b] = b % net.num_classes();
  const RunInfo train{Mode::train, step_key(3, 5), 0};
  const std::vector<float> buffers0(net.buffers(), net.buffers() + net.num_buffers());
  auto restore = [&] { std::copy(buffers0.begin(), buffers0.end(), net.buffers()); };

  Workspace<float> rws;
  std::vector<float> rgrad(net.num_params(), 0.0f);
  const double rloss = net.loss_and_grad(x.data(), labels.data(), c.batch, c.batch, rws,
                                         rgrad.data(), nullptr, train);
  const std::vector<float> rbuffers(net.buffers(), net.buffers() + net.num_buffers());
  const size_t k = static_cast<size_t>(net.num_classes()) * c.batch;
  const float* rl = net.forward(x.data(), c.batch, rws);
  const std::vector<float> rlogits(rl, rl + k);

  for (const KernelTable* t : kernels::runnable_tables()) {
    SCOPED_TRACE(t->name);
    const Plan<float> fast(net, PlanOptions{.kernels = t});
    Workspace<float> ws;
    std::vector<float> grad(net.num_params(), 0.0f);
    // Twice: the second call reuses the workspace and must give the same answer.
    for (int rep = 0; rep < 2; ++rep) {
      restore();
      std::fill(grad.begin(), grad.end(), 0.0f);
      const double loss =
          fast.loss_and_grad(net.params(), net.buffers(), x.data(), labels.data(), c.batch, c.batch,
                             cross_entropy_loss(), train, ws, grad.data());
      EXPECT_NEAR(loss, rloss, 1e-4 * std::max(1.0, std::fabs(rloss)));
      for (const auto& b : net.buffer_info()) {
        EXPECT_LT(rel_err(net.buffers() + b.offset, rbuffers.data() + b.offset, b.size), 1e-5)
            << b.name;
      }
      const float* logits =
          fast.forward(net.params(), net.buffers(), x.data(), c.batch, RunInfo{Mode::eval}, ws);
      EXPECT_LT(rel_err(logits, rlogits.data(), k), 1e-4);
      for (const auto& p : net.param_info()) {
        EXPECT_LT(rel_err(grad.data() + p.offset, rgrad.data() + p.offset, p.size), 2e-4) << p.name;
      }
    }
  }
}

// Every layer row in its test network (layer_cases.h: its input gradient is
// needed), on every kernel path, against the reference; rows marked fast
// must not fall back.
class LayerFast : public ::testing::TestWithParam<test::LayerCase> {};

TEST_P(LayerFast, MatchesReferenceAndIsLowered) {
  const test::LayerCase& c = GetParam();
  check_network({c.network(), c.in, 3});
  Network<float> net(c.network(), c.in);
  const Plan<float> plan(net, PlanOptions{.kernels = kernels::generic_table()});
  for (const auto& op : plan.ops()) {
    if (op->first <= 1 && op->last >= 1) {
      EXPECT_EQ(op->reference(), !c.fast) << op->name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(All, LayerFast, ::testing::ValuesIn(test::layer_cases()),
                         [](const auto& info) {
                           return info.param.name + std::to_string(info.index);
                         });

// Activations' fast kernels (their own approximations) against the
// reference in double, on a dense grid covering the saturated ends.
TEST(FastKernels, ActivationsMatchReferenceOnAGrid) {
  const int m = 20001;
  std::vector<double> xd(m);
  std::vector<float> xf(m);
  for (int i = 0; i < m; ++i) xf[i] = static_cast<float>(xd[i] = -10.0 + 20.0 * i / (m - 1));
  for (const LayerDef* d : layer_table()) {
    if (d->category != "activation") continue;
    Network<double> ref(d->name, {m});
    Workspace<double> rws;
    const double* want = ref.forward(xd.data(), 1, rws);
    for (const KernelTable* t : kernels::runnable_tables()) {
      Network<float> net(d->name, {m});
      const Plan<float> plan(net, PlanOptions{.kernels = t});
      Workspace<float> ws;
      const float* got =
          plan.forward(net.params(), net.buffers(), xf.data(), 1, RunInfo{Mode::eval}, ws);
      double worst = 0;
      for (int i = 0; i < m; ++i) {
        worst = std::max(worst, std::fabs(got[i] - want[i]) / std::max(1.0, std::fabs(want[i])));
      }
      EXPECT_LT(worst, 2e-6) << d->name << " on " << t->name;
    }
  }
}

TEST(FastKernels, SeedNetworks) {
  check_network(
      {"conv(4,5) relu maxpool(2) conv(8,5) relu maxpool(2) flatten linear(128) relu "
       "linear(10)",
       {1, 28, 28},
       8});
  check_network({"flatten linear(128) relu linear(10)", {1, 28, 28}, 3});
}

TEST(FastKernels, ConvShapes) {
  // odd sizes, channels not a multiple of 4/8/16, padding, kernel 1 and 3
  check_network({"conv(3,3) relu flatten linear(5)", {2, 7, 9}, 1});
  check_network({"conv(5,3,1,1) flatten linear(3)", {3, 6, 5}, 2});
  check_network({"conv(17,1) relu conv(6,3,1,2) flatten linear(4)", {5, 4, 11}, 3});
  check_network({"conv(9,7,1,3) maxpool(3,2) relu flatten linear(7)", {2, 13, 10}, 2});
  check_network({"conv(1,2) maxpool(2) flatten linear(2)", {1, 3, 3}, 1});
  // pool -> unpadded conv (reads the pool's output in place, hands it back
  // its gradient in wide planes) and pool -> padded conv, odd sizes
  check_network(
      {"conv(3,3) relu maxpool(2) conv(5,2) relu maxpool(2) flatten linear(3)", {2, 13, 11}, 3});
  check_network({"conv(6,3) maxpool(2) relu conv(2,3,1,1) relu maxpool(2) flatten linear(4)",
                 {1, 11, 14},
                 1});
}

TEST(FastKernels, StrideFallsBackToReference) {
  const Case c{"conv(4,3,2) relu conv(6,3,2,1) flatten linear(3)", {2, 11, 9}, 3};
  check_network(c);
  // The strided convolutions are the layers' reference passes, the rest fast.
  Network<float> net(c.arch, c.input);
  const Plan<float> plan(net, PlanOptions{.kernels = kernels::generic_table()});
  std::vector<std::string> slow;
  for (const auto& op : plan.ops()) {
    if (op->reference()) slow.push_back(op->name);
  }
  EXPECT_EQ(slow, (std::vector<std::string>{"conv(4,3,2)", "conv(6,3,2,1)"}));
}

TEST(FastKernels, SeedNetworksRunNoReferenceOp) {
  for (const char* arch :
       {"conv(4,5) relu maxpool(2) conv(8,5) relu maxpool(2) flatten linear(128) relu linear(10)",
        "flatten linear(128) relu linear(10)"}) {
    Network<float> net(arch, {1, 28, 28});
    const Plan<float> plan(net, PlanOptions{.kernels = kernels::generic_table()});
    for (const auto& op : plan.ops()) EXPECT_FALSE(op->reference()) << arch << ": " << op->name;
  }
}

TEST(FastKernels, PoolAndDenseShapes) {
  check_network({"maxpool(2) relu flatten linear(33) relu linear(17)", {3, 9, 7}, 5});
  check_network({"relu maxpool(3,1) flatten linear(1)", {2, 5, 6}, 1});
  // 2x2 pooling's three walks for 4-, 8- and 16-float vectors: output rows
  // a multiple of VL/2 (whole vectors and a last half vector), rows of at
  // least VL with a last chunk moved back, and short rows with masked tails.
  // (A 1x1 conv in front, so that the pool's backward runs.)
  check_network({"conv(2,1) maxpool(2) relu flatten linear(3)", {2, 6, 20}, 2});  // 3 x 10
  check_network({"conv(3,1) relu maxpool(2) flatten linear(3)", {2, 6, 16}, 1});  // 3 x 8
  check_network({"conv(1,1) maxpool(2) relu flatten linear(2)", {1, 5, 33}, 3});  // 2 x 16
  check_network({"conv(2,1) maxpool(2) relu flatten linear(2)", {3, 7, 13}, 2});  // 3 x 6
  // A pool reading a pool's dense output, whose gradient goes back the same way.
  check_network({"conv(2,1) relu maxpool(2) maxpool(2) flatten linear(2)", {1, 12, 36}, 2});
  check_network({"linear(31) relu identity linear(16) relu linear(2)", {19}, 13});
}

// C = A B on the raw GEMM, with strided (transposed) A and accumulation.
TEST(FastKernels, Gemm) {
  std::mt19937 rng(3);
  for (const KernelTable* t : kernels::runnable_tables()) {
    SCOPED_TRACE(t->name);
    for (int M : {1, 5, 7, 13}) {
      for (int N : {1, 3, 16, 17, 40}) {
        for (int K : {1, 4, 9}) {
          const auto a = random_vec(static_cast<size_t>(M) * K, rng);
          const auto b = random_vec(static_cast<size_t>(K) * N, rng);
          const auto bias = random_vec(N, rng);
          auto c = random_vec(static_cast<size_t>(M) * N, rng);
          std::vector<float> want(c);
          // A is stored transposed (K, M): am = 1, ak = M.
          for (int m = 0; m < M; ++m) {
            for (int n = 0; n < N; ++n) {
              double s = want[m * N + n];
              for (int k = 0; k < K; ++k) s += static_cast<double>(a[k * M + m]) * b[k * N + n];
              want[m * N + n] = static_cast<float>(s);
            }
          }
          t->gemm(M, N, K, a.data(), 1, M, b.data(), N, nullptr, c.data(), N, true);
          EXPECT_LT(rel_err(c.data(), want.data(), c.size()), 1e-5) << M << "x" << N << "x" << K;
          // Plain product plus bias, A untransposed.
          for (int m = 0; m < M; ++m) {
            for (int n = 0; n < N; ++n) {
              double s = bias[n];
              for (int k = 0; k < K; ++k) s += static_cast<double>(a[m * K + k]) * b[k * N + n];
              want[m * N + n] = static_cast<float>(s);
            }
          }
          t->gemm(M, N, K, a.data(), K, 1, b.data(), N, bias.data(), c.data(), N, false);
          EXPECT_LT(rel_err(c.data(), want.data(), c.size()), 1e-5) << M << "x" << N << "x" << K;
        }
      }
    }
  }
}

// The vectorised SGD must round exactly as the reference optimizer does.
TEST(FastKernels, SgdBitIdentical) {
  std::mt19937 rng(5);
  for (const KernelTable* t : kernels::runnable_tables()) {
    for (bool nesterov : {false, true}) {
      SgdOptions o;
      o.lr = 0.05;
      o.momentum = 0.9;
      o.weight_decay = 1e-3;
      o.nesterov = nesterov;
      const size_t n = 1003;
      auto p = random_vec(n, rng);
      auto q = p;
      Sgd<float> ref(n, o, /*k=*/nullptr);  // the plain loop
      std::vector<float> v(n, 0.0f);
      for (int step = 0; step < 3; ++step) {
        const auto g = random_vec(n, rng);
        ref.step(p.data(), g.data());
        t->sgd(q.data(), g.data(), v.data(), n, static_cast<float>(o.lr),
               static_cast<float>(o.momentum), static_cast<float>(o.weight_decay), nesterov);
      }
      EXPECT_EQ(0, std::memcmp(p.data(), q.data(), n * sizeof(float))) << t->name;
    }
  }
}

// Every optimizer through every kernel table rounds exactly as its plain
// loop (the double/reference path's code), at every step and in every
// state tensor: the vectorised copies of update_rules.h are the same rule.
TEST(FastKernels, OptimizersBitIdentical) {
  std::mt19937 rng(6);
  std::vector<OptimizerOptions> cases;
  for (const OptimizerDef* d : optimizer_table()) cases.push_back(d->defaults);
  OptimizerOptions o = optimizer_defaults("adam");
  o.weight_decay = 1e-2;
  cases.push_back(o);
  o = optimizer_defaults("rmsprop");
  o.momentum = 0.9;
  o.weight_decay = 1e-3;
  cases.push_back(o);
  o = optimizer_defaults("sgd");
  o.nesterov = true;
  o.weight_decay = 1e-3;
  cases.push_back(o);
  for (const KernelTable* t : kernels::runnable_tables()) {
    for (const OptimizerOptions& c : cases) {
      const size_t n = 1003;  // not a multiple of any vector width
      auto p = random_vec(n, rng);
      auto q = p;
      auto ref = make_optimizer<float>(n, c, /*k=*/nullptr);  // the plain loop
      auto fast = make_optimizer<float>(n, c, t);
      for (int step = 0; step < 4; ++step) {
        const auto g = random_vec(n, rng);
        const double lr = c.lr * (1 - 0.2 * step);  // as a schedule changes it
        ref->step(p.data(), g.data(), lr);
        fast->step(q.data(), g.data(), lr);
      }
      const std::string what = std::string(t->name) + " " + c.optimizer;
      EXPECT_EQ(0, std::memcmp(p.data(), q.data(), n * sizeof(float))) << what;
      const auto a = ref->state(), b = fast->state();
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(0, std::memcmp(a[i].values->data(), b[i].values->data(), n * sizeof(float)))
            << what << " " << a[i].name;
      }
    }
  }
}

// Same thread count => the same bits; other thread counts agree closely.
TEST(FastKernels, StepRunnerDeterministic) {
  Network<float> net("conv(4,5) relu maxpool(2) flatten linear(10)", {1, 12, 12});
  net.init(1);
  std::mt19937 rng(9);
  const int n = 7;
  const auto x = random_vec(numel(net.input_dims()) * n, rng);
  std::vector<int> labels = {0, 1, 2, 3, 4, 5, 6};
  std::vector<std::vector<float>> g;
  std::vector<double> loss;
  for (int threads : {1, 2, 3, 2}) {
    StepRunner r(net, threads, /*adapt=*/false);
    loss.push_back(r.loss_and_grad(x.data(), labels.data(), n));
    g.emplace_back(r.grads(), r.grads() + net.num_params());
    std::vector<float> logits(static_cast<size_t>(n) * 10);
    r.predict(x.data(), n, logits.data());
    const float* direct = nullptr;
    Workspace<float> ws;
    direct = net.forward(x.data(), n, ws);
    EXPECT_LT(rel_err(logits.data(), direct, logits.size()), 1e-4);
  }
  EXPECT_EQ(0, std::memcmp(g[1].data(), g[3].data(), g[1].size() * sizeof(float)));
  EXPECT_EQ(loss[1], loss[3]);
  EXPECT_LT(rel_err(g[0].data(), g[1].data(), g[0].size()), 1e-4);
  EXPECT_LT(rel_err(g[0].data(), g[2].data(), g[0].size()), 1e-4);
}

TEST(FastKernels, ForcedPath) {
  set_kernel_path("reference");
  EXPECT_EQ(fast_kernels(), nullptr);
  set_kernel_path("generic");
  EXPECT_STREQ(fast_kernels()->name, "generic");
  EXPECT_THROW(set_kernel_path("sse9"), UsageError);
  set_kernel_path("auto");
  EXPECT_NE(fast_kernels(), nullptr);
}

}  // namespace
}  // namespace handgrad
