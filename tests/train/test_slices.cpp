// StepRunner's data-parallel pieces (slices_for, slice_grads, add_grads),
// in-process: the slices computed anywhere, by any number of threads, and
// folded in slice order give exactly loss_and_grad's bits. This is what
// lets N MPI ranks (tests/dist) reproduce one process with N threads, and a
// run resume on fewer ranks (each computing several slices).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "handgrad/model/network.h"
#include "handgrad/model/presets.h"
#include "handgrad/train/step_runner.h"

namespace handgrad {
namespace {

struct Batch {
  std::vector<float> x;
  std::vector<int> y;
  int n;
};

Batch make_batch(int n, size_t in, int classes) {
  Batch b{std::vector<float>(static_cast<size_t>(n) * in), std::vector<int>(static_cast<size_t>(n)),
          n};
  for (size_t i = 0; i < b.x.size(); ++i) b.x[i] = std::sin(0.37f * static_cast<float>(i));
  for (int i = 0; i < n; ++i) b.y[static_cast<size_t>(i)] = i % classes;
  return b;
}

// Slices [0, used) computed `per_call` at a time by `runner`, then folded.
double folded(StepRunner& runner, const Batch& b, int used, int per_call, size_t P,
              std::vector<float>& g) {
  std::vector<std::vector<float>> bufs(static_cast<size_t>(used), std::vector<float>(P));
  std::vector<float*> ptrs;
  for (auto& v : bufs) ptrs.push_back(v.data());
  std::vector<double> losses(static_cast<size_t>(used));
  for (int first = 0; first < used; first += per_call) {
    const int count = std::min(per_call, used - first);
    runner.slice_grads(b.x.data(), b.y.data(), b.n, used, first, count, ptrs.data() + first,
                       losses.data() + first);
  }
  g = bufs[0];
  for (int s = 1; s < used; ++s) runner.add_grads(g.data(), bufs[static_cast<size_t>(s)].data(), P);
  double loss = 0;
  for (double l : losses) loss += l;
  return loss / b.n;
}

TEST(Slices, FoldedSlicesAreLossAndGradBitForBit) {
  const Preset& p = find_preset("seed-cnn");
  Network<float> net(p.arch, p.input);
  net.init(3);
  const size_t P = net.num_params();
  const Batch b = make_batch(64, 784, 10);
  for (int S : {2, 3, 4}) {
    StepRunner ref(net, S);
    const int used = ref.slices_for(b.n, S);
    ASSERT_EQ(used, S) << "seed-cnn at batch 64 must split over " << S;
    const double loss = ref.loss_and_grad(b.x.data(), b.y.data(), b.n);
    for (int threads : {1, 2}) {     // fewer threads than slices: several per thread
      for (int per_call : {1, S}) {  // one slice per call (a rank each) or all at once
        StepRunner runner(net, threads);
        std::vector<float> g;
        const double l = folded(runner, b, used, per_call, P, g);
        EXPECT_EQ(l, loss) << S << " slices, " << threads << " threads";
        ASSERT_EQ(std::memcmp(g.data(), ref.grads(), P * sizeof(float)), 0)
            << S << " slices, " << threads << " threads, " << per_call << " per call";
      }
    }
  }
}

// The fold is not a sum in any order: one thread's gradient differs, so
// the bit-for-bit comparisons above (and the MPI tests) can fail.
TEST(Slices, SliceCountChangesTheBits) {
  const Preset& p = find_preset("seed-cnn");
  Network<float> net(p.arch, p.input);
  net.init(3);
  const Batch b = make_batch(64, 784, 10);
  StepRunner one(net, 1), two(net, 2);
  one.loss_and_grad(b.x.data(), b.y.data(), b.n);
  two.loss_and_grad(b.x.data(), b.y.data(), b.n);
  EXPECT_NE(std::memcmp(one.grads(), two.grads(), net.num_params() * sizeof(float)), 0);
}

// The adapt rule is the same function of (n, workers) for every caller:
// small batches use fewer slices, and never more than the batch has samples.
TEST(Slices, SlicesForFollowsTheAdaptRule) {
  const Preset& p = find_preset("seed-cnn");
  Network<float> net(p.arch, p.input);
  StepRunner r(net, 1);
  EXPECT_EQ(r.slices_for(8, 2), 1);  // 138 flops per parameter and slice < 150
  EXPECT_EQ(r.slices_for(64, 2), 2);
  EXPECT_EQ(r.slices_for(64, 4), 4);
  EXPECT_EQ(r.slices_for(3, 4), 1);
  StepRunner fixed(net, 1, /*adapt=*/false);
  EXPECT_EQ(fixed.slices_for(3, 4), 3);
  EXPECT_EQ(fixed.slices_for(64, 4), 4);
}

}  // namespace
}  // namespace handgrad
