// The threaded StepRunner: the batch is cut into one fixed slice per thread,
// each with its own workspace and (except slice 0) its own gradient buffer;
// the buffers are summed in slice order, so a fixed thread count gives
// bit-identical results whichever thread happens to run which slice. After
// the first step of a given batch size nothing is allocated.
#include "handgrad/train/step_runner.h"

#include <algorithm>
#include <cstring>

#include "handgrad/model/flops.h"
#include "kernels/kernels.h"
#include "model/plan.h"
#include "train/thread_pool.h"

namespace handgrad {

struct StepRunner::Impl {
  Network<float>& net;
  Plan<float> plan;
  ThreadPool pool;
  std::vector<Workspace<float>> ws;
  std::vector<Buffer<float>> tgrads;  // threads 1..T-1
  std::vector<double> losses;
  Buffer<float> grads;

  // Splitting a batch over T threads costs T-1 extra gradient buffers to
  // zero and sum (num_params floats each) plus a wake-up; it pays only when
  // each thread gets enough arithmetic per parameter. Measured here
  // (bench/compare_torch.sh): seed-mlp at batch 8 (16 flops per parameter
  // and thread) ran 3x slower on 2 threads than on 1, at batch 64 (128)
  // still 20% slower; seed-cnn at batch 8 (138) gained 10%, at batch 64
  // (1100) 2x.
  static constexpr double kMinFlopsPerParam = 150;
  bool adapt;
  double step_flops_per_sample;

  Impl(Network<float>& n, int threads, bool adapt_)
      : net(n),
        plan(n, PlanOptions{.kernels = fast_kernels()}),
        pool(threads),
        ws(threads),
        tgrads(threads),
        losses(threads),
        adapt(adapt_),
        step_flops_per_sample([&n] {
          const auto [fwd, bwd] = flops_per_sample(n);
          return fwd + bwd;
        }()) {
    grads.resize(n.num_params());
    for (int t = 1; t < threads; ++t) tgrads[t].resize(n.num_params());
  }

  // The slice [begin, end) of n samples that thread t of `used` owns.
  static void slice(int n, int used, int t, int& begin, int& end) {
    begin = static_cast<int>(static_cast<long long>(n) * t / used);
    end = static_cast<int>(static_cast<long long>(n) * (t + 1) / used);
  }
};

StepRunner::StepRunner(Network<float>& net, int threads, bool adapt)
    : impl_(std::make_unique<Impl>(net, std::max(1, threads), adapt)) {}

StepRunner::~StepRunner() = default;

double StepRunner::loss_and_grad(const float* x, const int* labels, int n) {
  Impl& m = *impl_;
  int used = std::min(m.pool.size(), std::max(n, 1));
  const size_t in = numel(m.net.input_dims());
  const size_t P = m.net.num_params();
  while (m.adapt && used > 1 &&
         m.step_flops_per_sample * n / used < Impl::kMinFlopsPerParam * static_cast<double>(P)) {
    --used;
  }
  for (int t = 0; t < m.pool.size(); ++t) m.losses[t] = 0.0;
  auto job = [&](int t) {
    int b, e;
    Impl::slice(n, used, t, b, e);
    float* g = t == 0 ? m.grads.data() : m.tgrads[t].data();
    std::memset(g, 0, sizeof(float) * P);
    if (e > b) {
      const RunInfo run{Mode::train, 0, b};
      m.losses[t] = m.plan.loss_and_grad(m.net.params(), m.net.buffers(), x + b * in, labels + b,
                                         e - b, n, run, m.ws[t], g);
    }
  };
  m.pool.run(used, job);
  float* g = m.grads.data();
  const KernelTable* k = m.plan.kernels();
  for (int t = 1; t < used; ++t) {
    const float* gt = m.tgrads[t].data();
    if (k) {
      k->add(g, gt, P);
    } else {
      for (size_t i = 0; i < P; ++i) g[i] += gt[i];
    }
  }
  double loss = 0.0;
  for (int t = 0; t < used; ++t) loss += m.losses[t];
  return loss / n;
}

const float* StepRunner::grads() const {
  return impl_->grads.data();
}
float* StepRunner::grads() {
  return impl_->grads.data();
}

void StepRunner::predict(const float* x, int n, float* logits) {
  Impl& m = *impl_;
  const int used = std::min(m.pool.size(), std::max(n, 1));
  const size_t in = numel(m.net.input_dims());
  const size_t k = static_cast<size_t>(m.net.num_classes());
  auto job = [&](int t) {
    int b, e;
    Impl::slice(n, used, t, b, e);
    if (e <= b) return;
    const RunInfo run{Mode::eval, 0, b};
    const float* out = m.plan.forward(m.net.params(), m.net.buffers(), x + b * in, e - b, run,
                                      m.ws[t]);
    std::copy(out, out + (e - b) * k, logits + b * k);
  };
  m.pool.run(used, job);
}

const KernelTable* StepRunner::kernels() const {
  return impl_->plan.kernels();
}

int StepRunner::threads() const {
  return impl_->pool.size();
}

}  // namespace handgrad
