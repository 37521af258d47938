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

// Steps both runners through the same batches (the first call of each size
// runs alone and sizes the team's workspace); every gradient bit must agree.
void expect_same_steps(const std::string& arch, const Dims& input, int threads,
                       const std::vector<int>& sizes, int calls_per_size) {
  Network<float> a(arch, input), b(arch, input);
  a.init(3);
  b.init(3);
  StepRunner one(a, 1), team(b, threads);
  team.set_team(TeamMode::on);
  Batches d{numel(input), a.num_classes(), {}, {}};
  int call = 0;
  for (int n : sizes) {
    // A batch large enough to be cut into slices is not a team's (and
    // sums the slices in another order than one thread).
    ASSERT_EQ(team.slices_for(n, threads), 1) << arch << " n " << n;
    for (int c = 0; c < calls_per_size; ++c, ++call) {
      d.make(n, call);
      one.set_step_key(step_key(5, static_cast<uint64_t>(call)));
      team.set_step_key(step_key(5, static_cast<uint64_t>(call)));
      const double l1 = one.loss_and_grad(d.x.data(), d.y.data(), n);
      const double lt = team.loss_and_grad(d.x.data(), d.y.data(), n);
      ASSERT_EQ(l1, lt) << arch << " n " << n << " call " << c;
      ASSERT_EQ(0, std::memcmp(one.grads(), team.grads(), sizeof(float) * a.num_params()))
          << arch << " on " << threads << " threads, n " << n << " call " << c;
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
  Network<float> a(p.arch, p.input), b(p.arch, p.input);
  a.init(4);
  b.init(4);
  StepRunner one(a, 1), team(b, 2);
  team.set_team(TeamMode::on);
  Batches d{numel(p.input), 10, {}, {}};
  std::vector<float> logits(static_cast<size_t>(40) * 10);
  for (int call = 0; call < 6; ++call) {
    d.make(40, call);
    team.predict(d.x.data(), call % 2 ? 40 : 3, logits.data());
    d.make(8, call);
    const double l1 = one.loss_and_grad(d.x.data(), d.y.data(), 8);
    ASSERT_EQ(l1, team.loss_and_grad(d.x.data(), d.y.data(), 8));
    ASSERT_EQ(0, std::memcmp(one.grads(), team.grads(), sizeof(float) * a.num_params())) << call;
  }
}

// Automatic: the steps alternate between a team and one thread while it
// measures, then keep the faster; none of it may show in the results.
TEST(Team, AutomaticChoiceNeverChangesAResult) {
  const Preset& p = find_preset("seed-mlp");
  Network<float> a(p.arch, p.input), b(p.arch, p.input);
  a.init(5);
  b.init(5);
  StepRunner one(a, 1), two(b, 2);
  Batches d{numel(p.input), 10, {}, {}};
  for (int call = 0; call < 80; ++call) {
    d.make(8, call);
    const double l1 = one.loss_and_grad(d.x.data(), d.y.data(), 8);
    ASSERT_EQ(l1, two.loss_and_grad(d.x.data(), d.y.data(), 8));
    ASSERT_EQ(0, std::memcmp(one.grads(), two.grads(), sizeof(float) * a.num_params())) << call;
  }
}

// The optimizer step on the team (each thread its share of the
// parameters) against one thread's, for every kind; the parameters must
// stay the same bits step after step.
TEST(Team, OptimizerStepsAreBitIdenticalToOneThread) {
  const Preset& p = find_preset("seed-cnn");
  for (const char* kind : {"sgd", "adam", "adamw", "rmsprop"}) {
    SCOPED_TRACE(kind);
    Network<float> a(p.arch, p.input), b(p.arch, p.input);
    a.init(6);
    b.init(6);
    StepRunner one(a, 1), team(b, 2);
    team.set_team(TeamMode::on);
    OptimizerOptions o = optimizer_defaults(kind);
    if (std::string(kind) == "rmsprop") o.momentum = 0.5;  // its second state tensor too
    auto oa = make_optimizer<float>(a.num_params(), o, one.kernels());
    auto ob = make_optimizer<float>(b.num_params(), o, team.kernels());
    Batches d{numel(p.input), 10, {}, {}};
    for (int call = 0; call < 5; ++call) {
      d.make(8, call);
      one.loss_and_grad(d.x.data(), d.y.data(), 8);
      team.loss_and_grad(d.x.data(), d.y.data(), 8);
      one.step_optimizer(*oa, 0.01);
      team.step_optimizer(*ob, 0.01);
      ASSERT_EQ(0, std::memcmp(a.params(), b.params(), sizeof(float) * a.num_params())) << call;
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
