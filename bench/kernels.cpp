// The fast kernels one at a time, on the seed CNN's (and MLP's) shapes at batch 8, for
// every SIMD level this CPU runs. Counters: FLOP/s (2 per multiply-add) and,
// for data movement kernels, bytes/s.
//   build/bench/handgrad_kernels --benchmark_filter=conv
#include "kernels/kernels.h"

#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "handgrad/core/tensor.h"

namespace handgrad {
namespace {

constexpr int kBatch = 8;

Buffer<float> random_buf(size_t n, float scale = 1.0f) {
  static std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-scale, scale);
  Buffer<float> b(n + kSlack);
  for (size_t i = 0; i < n; ++i) b[i] = u(rng);
  return b;
}

struct ConvCase {
  const char* name;
  int C, H, W, O, K;
};
const ConvCase kConvs[] = {{"conv1_1x28x28_o4_k5", 1, 28, 28, 4, 5},
                           {"conv2_4x12x12_o8_k5", 4, 12, 12, 8, 5}};

double conv_flops(const ConvGeom& g) {
  return 2.0 * g.O * g.C * g.K * g.K * g.Ho * g.Wo * kBatch;
}

void conv_fwd(benchmark::State& st, const KernelTable* k, ConvCase c) {
  const ConvGeom g = conv_geom(c.C, c.H, c.W, c.O, c.K, 0);
  const size_t xs = static_cast<size_t>(g.C) * g.in_plane + kSlack + 16;
  auto x = random_buf(xs * kBatch), w = random_buf(g.O * g.C * g.K * g.K), b = random_buf(g.O);
  Buffer<float> out(static_cast<size_t>(kBatch) * g.O * g.wide_plane + kSlack);
  for (auto _ : st) {
    k->conv_fwd(g, w.data(), b.data(), x.data(), xs, out.data(), kBatch);
    benchmark::DoNotOptimize(out.data());
  }
  st.counters["FLOP/s"] =
      benchmark::Counter(conv_flops(g), benchmark::Counter::kIsIterationInvariantRate);
}

void conv_bwd(benchmark::State& st, const KernelTable* k, ConvCase c, bool input) {
  const ConvGeom g = conv_geom(c.C, c.H, c.W, c.O, c.K, 0);
  const size_t xs = static_cast<size_t>(g.C) * g.in_plane + kSlack + 16;
  auto x = random_buf(xs * kBatch), w = random_buf(g.O * g.C * g.K * g.K);
  Buffer<float> dpad(static_cast<size_t>(kBatch) * g.O * g.dpad_plane + kSlack);
  for (int p = 0; p < kBatch * g.O; ++p)
    for (int y = 0; y < g.Ho; ++y)
      for (int xx = 0; xx < g.Wo; ++xx)
        dpad[static_cast<size_t>(p) * g.dpad_plane + g.dpad_margin + y * g.Wp + xx] = 0.5f;
  Buffer<float> dw(w.size()), db(g.O), dx(static_cast<size_t>(kBatch) * g.C * g.din_plane + kSlack);
  for (auto _ : st) {
    if (input) {
      k->conv_bwd_input(g, w.data(), dpad.data(), dx.data(), kBatch);
    } else {
      k->conv_bwd_params(g, x.data(), xs, dpad.data(), dw.data(), db.data(), kBatch);
    }
    benchmark::DoNotOptimize(dw.data());
    benchmark::DoNotOptimize(dx.data());
  }
  st.counters["FLOP/s"] =
      benchmark::Counter(conv_flops(g), benchmark::Counter::kIsIterationInvariantRate);
}

void linear(benchmark::State& st, const KernelTable* k, int I, int O, int which) {
  auto x = random_buf(static_cast<size_t>(kBatch) * I), w = random_buf(static_cast<size_t>(O) * I);
  auto b = random_buf(O), dy = random_buf(static_cast<size_t>(kBatch) * O);
  Buffer<float> y(static_cast<size_t>(kBatch) * O), dw(static_cast<size_t>(O) * I),
      dx(static_cast<size_t>(kBatch) * I);
  for (auto _ : st) {
    if (which == 0) k->linear_fwd(kBatch, O, I, x.data(), w.data(), b.data(), y.data());
    if (which == 1)
      k->gemm(O, I, kBatch, dy.data(), 1, O, x.data(), I, nullptr, dw.data(), I, true);
    if (which == 2)
      k->gemm(kBatch, I, O, dy.data(), O, 1, w.data(), I, nullptr, dx.data(), I, false);
    benchmark::DoNotOptimize(y.data());
    benchmark::DoNotOptimize(dw.data());
    benchmark::DoNotOptimize(dx.data());
  }
  st.counters["FLOP/s"] =
      benchmark::Counter(2.0 * I * O * kBatch, benchmark::Counter::kIsIterationInvariantRate);
}

void pool(benchmark::State& st, const KernelTable* k, int C, int H, int W, bool bwd) {
  const int Ho = H / 2, Wo = W / 2, planes = kBatch * C;
  auto x = random_buf(static_cast<size_t>(planes) * H * W);
  auto dy = random_buf(static_cast<size_t>(planes) * Ho * Wo);
  Buffer<float> y(static_cast<size_t>(planes) * Ho * Wo), dx(x.size());
  Buffer<int> arg(y.size());
  k->maxpool_fwd(x.data(), planes, H, W, H * W, 2, 2, true, y.data(), arg.data(), Ho, Wo);
  for (auto _ : st) {
    if (bwd) {
      k->maxpool_bwd(dy.data(), Ho * Wo, y.data(), arg.data(), planes, H, W, H * W, 2, 2, Ho, Wo,
                     true, dx.data());
    } else {
      k->maxpool_fwd(x.data(), planes, H, W, H * W, 2, 2, true, y.data(), arg.data(), Ho, Wo);
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::DoNotOptimize(dx.data());
  }
  st.counters["in_bytes/s"] =
      benchmark::Counter(4.0 * planes * H * W, benchmark::Counter::kIsIterationInvariantRate);
}

void sgd(benchmark::State& st, const KernelTable* k, size_t n) {
  auto p = random_buf(n), g = random_buf(n, 1e-3f), v = random_buf(n, 1e-3f);
  for (auto _ : st) {
    k->sgd(p.data(), g.data(), v.data(), n, 0.01f, 0.9f, 0.0f, false);
    benchmark::DoNotOptimize(p.data());
  }
  st.counters["params/s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}

void peak(benchmark::State& st, const KernelTable* k) {
  for (auto _ : st) benchmark::DoNotOptimize(k->fma_peak(1 << 16));
  st.counters["FLOP/s"] =
      benchmark::Counter(k->fma_peak(1) * (1 << 16), benchmark::Counter::kIsIterationInvariantRate);
}

int register_all() {
  for (const KernelTable* k : kernels::runnable_tables()) {
    const std::string t = std::string("/") + k->name;
    for (const ConvCase& c : kConvs) {
      benchmark::RegisterBenchmark(("conv_fwd/" + std::string(c.name) + t).c_str(), conv_fwd, k, c);
      benchmark::RegisterBenchmark(("conv_bwd_params/" + std::string(c.name) + t).c_str(), conv_bwd,
                                   k, c, false);
      benchmark::RegisterBenchmark(("conv_bwd_input/" + std::string(c.name) + t).c_str(), conv_bwd,
                                   k, c, true);
    }
    benchmark::RegisterBenchmark(("linear_fwd/128x128" + t).c_str(), linear, k, 128, 128, 0);
    benchmark::RegisterBenchmark(("linear_dweight/128x128" + t).c_str(), linear, k, 128, 128, 1);
    benchmark::RegisterBenchmark(("linear_dinput/128x128" + t).c_str(), linear, k, 128, 128, 2);
    benchmark::RegisterBenchmark(("linear_fwd/784x128" + t).c_str(), linear, k, 784, 128, 0);
    benchmark::RegisterBenchmark(("linear_dweight/784x128" + t).c_str(), linear, k, 784, 128, 1);
    benchmark::RegisterBenchmark(("relu_maxpool2_fwd/4x24x24" + t).c_str(), pool, k, 4, 24, 24,
                                 false);
    benchmark::RegisterBenchmark(("relu_maxpool2_bwd/4x24x24" + t).c_str(), pool, k, 4, 24, 24,
                                 true);
    benchmark::RegisterBenchmark(("relu_maxpool2_fwd/8x8x8" + t).c_str(), pool, k, 8, 8, 8, false);
    benchmark::RegisterBenchmark(("relu_maxpool2_bwd/8x8x8" + t).c_str(), pool, k, 8, 8, 8, true);
    benchmark::RegisterBenchmark(("sgd/18698" + t).c_str(), sgd, k, 18698);
    benchmark::RegisterBenchmark(("sgd/101770" + t).c_str(), sgd, k, 101770);
    benchmark::RegisterBenchmark(("fma_peak" + t).c_str(), peak, k);
  }
  return 0;
}

const int registered = register_all();

}  // namespace
}  // namespace handgrad

BENCHMARK_MAIN();
