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

}  // namespace
}  // namespace handgrad
