// A step of one slice on a team of threads (core/team.h): every member
// computes its share of each op, so the loss and the gradient must be the
// same bits as one thread's, for every layer of the table, any batch size
// (fewer samples than members too) and any team size. In-process, so that
// scripts/tsan.sh sees every access of the team's step.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "handgrad/core/rng.h"
#include "handgrad/model/network.h"
#include "handgrad/model/presets.h"
#include "handgrad/optim/optimizer.h"
#include "handgrad/train/step_runner.h"
#include "support/layer_cases.h"

namespace handgrad {
namespace {

// Batch `call` of n samples: different inputs on every call, so that a
// stale buffer from an earlier step shows.
struct Batches {
  size_t per;
  int classes;
  std::vector<float> x;
  std::vector<int> y;
  void make(int n, int call) {
    x.resize(static_cast<size_t>(n) * per);
    y.resize(static_cast<size_t>(n));
    for (size_t i = 0; i < x.size(); ++i) {
      x[i] = std::sin(0.37f * static_cast<float>(i) + 1.3f * static_cast<float>(call));
    }
    for (int i = 0; i < n; ++i) y[static_cast<size_t>(i)] = (i + call) % classes;
  }
};

// Two copies of one network with the same initial weights: `one` runs on
// a thread, `team` on `threads` (a team of two) with the given choice.
struct Twins {
  Network<float> a, b;
  StepRunner one, team;
  Batches d;
  Twins(const std::string& arch, const Dims& input, uint64_t seed, int threads = 2,
        TeamMode mode = TeamMode::on)
      : a(arch, input),
        b(arch, input),
        one(a, 1),
        team(b, threads),
        d{numel(input), a.num_classes(), {}, {}} {
    a.init(seed);
    b.init(seed);
    team.set_team(mode);
  }
  // Batch `call` of n samples through both: the same loss and gradient bits.
  ::testing::AssertionResult same_step(int n, int call) {
    d.make(n, call);
    one.set_step_key(step_key(5, static_cast<uint64_t>(call)));
    team.set_step_key(step_key(5, static_cast<uint64_t>(call)));
    const double l1 = one.loss_and_grad(d.x.data(), d.y.data(), n);
    const double lt = team.loss_and_grad(d.x.data(), d.y.data(), n);
    if (l1 != lt) return ::testing::AssertionFailure() << "loss " << l1 << " vs " << lt;
    if (std::memcmp(one.grads(), team.grads(), sizeof(float) * a.num_params()) != 0) {
      return ::testing::AssertionFailure() << "the gradients differ";
    }
    return ::testing::AssertionSuccess();
  }
};

// The first call of each size runs alone and sizes the team's workspace.
void expect_same_steps(const std::string& arch, const Dims& input, int threads,
                       const std::vector<int>& sizes, int calls_per_size) {
  Twins t(arch, input, 3, threads);
  int call = 0;
  for (int n : sizes) {
    // A batch large enough to be cut into slices is not a team's (and
    // sums the slices in another order than one thread).
    ASSERT_EQ(t.team.slices_for(n, threads), 1) << arch << " n " << n;
    for (int c = 0; c < calls_per_size; ++c, ++call) {
      ASSERT_TRUE(t.same_step(n, call)) << arch << " on " << threads << " threads, n " << n;
    }
  }
}

TEST(Team, PresetStepsAreBitIdenticalToOneThread) {
  for (const char* name : {"seed-cnn", "seed-mlp"}) {
    const Preset& p = find_preset(name);
    for (int threads : {2, 3}) expect_same_steps(p.arch, p.input, threads, {8, 1, 5, 8}, 3);
  }
}

TEST(Team, EveryLayerRowIsBitIdenticalToOneThread) {
  for (const auto& c : test::layer_cases()) {
    SCOPED_TRACE(c.network());
    expect_same_steps(c.network(), c.in, 2, {4, 2, 3}, 2);
  }
}

// Evaluation between steps reuses the team's workspace at another size;
// the next step must size it again before a team runs.
TEST(Team, PredictBetweenStepsKeepsStepsBitIdentical) {
  const Preset& p = find_preset("seed-cnn");
  Twins t(p.arch, p.input, 4);
  Batches big{numel(p.input), 10, {}, {}};
  std::vector<float> logits(static_cast<size_t>(40) * 10);
  for (int call = 0; call < 6; ++call) {
    big.make(40, call);
    t.team.predict(big.x.data(), call % 2 ? 40 : 3, logits.data());
    ASSERT_TRUE(t.same_step(8, call)) << call;
  }
}

// Automatic: the steps alternate between a team and one thread while it
// measures, then keep the faster; none of it may show in the results.
TEST(Team, AutomaticChoiceNeverChangesAResult) {
  const Preset& p = find_preset("seed-mlp");
  Twins t(p.arch, p.input, 5, 2, TeamMode::automatic);
  for (int call = 0; call < 80; ++call) ASSERT_TRUE(t.same_step(8, call)) << call;
}

// The optimizer step on the team (each thread its share of the
// parameters) against one thread's, for every kind; the parameters must
// stay the same bits step after step.
TEST(Team, OptimizerStepsAreBitIdenticalToOneThread) {
  const Preset& p = find_preset("seed-cnn");
  for (const char* kind : {"sgd", "adam", "adamw", "rmsprop"}) {
    SCOPED_TRACE(kind);
    Twins t(p.arch, p.input, 6);
    OptimizerOptions o = optimizer_defaults(kind);
    if (std::string(kind) == "rmsprop") o.momentum = 0.5;  // its second state tensor too
    auto oa = make_optimizer<float>(t.a.num_params(), o, t.one.kernels());
    auto ob = make_optimizer<float>(t.b.num_params(), o, t.team.kernels());
    for (int call = 0; call < 5; ++call) {
      ASSERT_TRUE(t.same_step(8, call));
      t.one.step_optimizer(*oa, 0.01);
      t.team.step_optimizer(*ob, 0.01);
      ASSERT_EQ(0, std::memcmp(t.a.params(), t.b.params(), sizeof(float) * t.a.num_params()))
          << call;
    }
  }
}

// The parts of an update, at boundaries that cut vectors, are the bits of
// one step() (each rule is elementwise, its vector body and tail alike).
TEST(Team, OptimizerUpdateInPartsIsOneStep) {
  const size_t n = 1001;
  for (const char* kind : {"sgd", "adam", "adamw", "rmsprop"}) {
    SCOPED_TRACE(kind);
    std::vector<float> pa(n), pb(n), g(n);
    for (size_t i = 0; i < n; ++i) {
      pa[i] = pb[i] = std::sin(0.1f * static_cast<float>(i));
      g[i] = std::cos(0.3f * static_cast<float>(i));
    }
    Network<float> net("linear(2)", Dims{2});
    const StepRunner probe(net, 1);  // for the fast kernel table
    auto a = make_optimizer<float>(n, optimizer_defaults(kind), probe.kernels());
    auto b = make_optimizer<float>(n, optimizer_defaults(kind), probe.kernels());
    for (int s = 0; s < 3; ++s) {
      a->step(pa.data(), g.data(), 0.05);
      b->begin_step();
      b->update(pb.data(), g.data(), 0.05, 0, 333);
      b->update(pb.data(), g.data(), 0.05, 333, 517);
      b->update(pb.data(), g.data(), 0.05, 517, n);
      ASSERT_EQ(0, std::memcmp(pa.data(), pb.data(), sizeof(float) * n)) << s;
    }
  }
}

}  // namespace
}  // namespace handgrad
