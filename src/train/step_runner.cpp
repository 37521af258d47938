// The threaded StepRunner: the batch is cut into one fixed slice per thread,
// each with its own workspace and (except slice 0) its own gradient buffer;
// the buffers are summed in slice order, so a fixed thread count gives
// bit-identical results whichever thread happens to run which slice. After
// the first step of a given batch size nothing is allocated.
#include "handgrad/train/step_runner.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/team.h"
#include "handgrad/model/flops.h"
#include "kernels/kernels.h"
#include "model/plan.h"
#include "train/team_choice.h"
#include "train/thread_pool.h"

namespace handgrad {

struct StepRunner::Impl {
  Network<float>& net;
  Plan<float> plan;
  ThreadPool pool;
  std::vector<Workspace<float>> ws;
  std::vector<Buffer<float>> tgrads;  // threads 1..T-1
  std::vector<double> losses;
  std::vector<float*> outs;  // slice t's gradient: grads, then tgrads[t]
  Buffer<float> grads;
  const LossDef* loss = &cross_entropy_loss();

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
  uint64_t key = 0;  // the step's randomness key

  // A step of one slice may run on a team of two threads (core/team.h):
  // a convolution's weight gradient is summed in two halves of the batch
  // (layers/conv.cpp), one per member.
  static constexpr int kTeam = 2;
  SpinBarrier barrier;
  TeamChoice choice;
  bool team_capable = false;  // some op of the plan takes part in a team
  int sized_n = -1;           // ws[0] was sized by a one-thread step of sized_n samples
  bool last_team = false;     // the last loss_and_grad ran on the team

  Impl(Network<float>& n, int threads, bool adapt_)
      : net(n),
        plan(n, PlanOptions{.kernels = fast_kernels()}),
        pool(threads),
        ws(threads),
        tgrads(threads),
        losses(threads),
        outs(threads),
        adapt(adapt_),
        step_flops_per_sample([&n] {
          const auto [fwd, bwd] = flops_per_sample(n);
          return fwd + bwd;
        }()),
        barrier(kTeam) {
    grads.resize(n.num_params());
    for (int t = 1; t < threads; ++t) tgrads[t].resize(n.num_params());
    for (const auto& op : plan.ops()) {
      team_capable = team_capable || op->team_forward() != TeamUse::none ||
                     op->team_backward() != TeamUse::none;
    }
  }

  double team_step(const float* x, const int* labels, int n);

  // The slice [begin, end) of n samples that thread t of `used` owns.
  static void slice(int n, int used, int t, int& begin, int& end) {
    begin = static_cast<int>(static_cast<long long>(n) * t / used);
    end = static_cast<int>(static_cast<long long>(n) * (t + 1) / used);
  }
};

StepRunner::StepRunner(Network<float>& net, int threads, bool adapt)
    : impl_(std::make_unique<Impl>(net, std::max(1, threads), adapt)) {}

StepRunner::~StepRunner() = default;

int StepRunner::slices_for(int n, int workers) const {
  const Impl& m = *impl_;
  // Batch statistics need the whole batch in one slice.
  int used = m.net.couples_batch() ? 1 : std::min(std::max(workers, 1), std::max(n, 1));
  const double P = static_cast<double>(m.net.num_params());
  while (m.adapt && used > 1 && m.step_flops_per_sample * n / used < Impl::kMinFlopsPerParam * P) {
    --used;
  }
  return used;
}

// Every thread runs the plan as a member of one team on the whole batch;
// the gradient is zeroed in shares first (every op adds to it only after
// the barrier before the loss).
double StepRunner::Impl::team_step(const float* x, const int* labels, int n) {
  const int T = kTeam;
  float* g = grads.data();
  double sum = 0.0;
  barrier.reset();
  auto job = [&](int r) {
    const Team team(r, T, &barrier);
    try {
      const auto [p0, p1] = team.share(net.num_params());
      if (p1 > p0) std::memset(g + p0, 0, sizeof(float) * (p1 - p0));
      const RunInfo run{Mode::train, key, 0, &team};
      const double l =
          plan.loss_and_grad(net.params(), net.buffers(), x, labels, n, n, *loss, run, ws[0], g);
      if (team.lead()) sum = l;
    } catch (const TeamAborted&) {
      // Another member failed: the pool reports its exception.
    } catch (...) {
      barrier.abort();
      throw;
    }
  };
  pool.run(T, job);
  return sum / n;
}

void StepRunner::slice_grads(const float* x, const int* labels, int n, int used, int first,
                             int count, float* const* out, double* losses) {
  Impl& m = *impl_;
  m.sized_n = -1;
  m.last_team = false;
  if (count <= 0) return;
  const size_t in = numel(m.net.input_dims());
  const size_t P = m.net.num_params();
  // One workspace per slice in flight (the pool hands slices to whichever
  // thread is free); more slices than threads only when a caller asks.
  if (m.ws.size() < static_cast<size_t>(count)) m.ws.resize(static_cast<size_t>(count));
  auto job = [&](int i) {
    int b, e;
    Impl::slice(n, used, first + i, b, e);
    float* g = out[i];
    if (P > 0) std::memset(g, 0, sizeof(float) * P);  // a network may have no parameters
    losses[i] = 0.0;
    if (e > b) {
      const RunInfo run{Mode::train, m.key, b};
      losses[i] = m.plan.loss_and_grad(m.net.params(), m.net.buffers(), x + b * in, labels + b,
                                       e - b, n, *m.loss, run, m.ws[static_cast<size_t>(i)], g);
    }
  };
  m.pool.run(count, job);
}

void StepRunner::add_grads(float* y, const float* x, size_t m) const {
  if (const KernelTable* k = impl_->plan.kernels()) {
    k->add(y, x, m);
  } else {
    for (size_t i = 0; i < m; ++i) y[i] += x[i];
  }
}

double StepRunner::loss_and_grad(const float* x, const int* labels, int n) {
  Impl& m = *impl_;
  const int used = slices_for(n, m.pool.size());
  if (used == 1 && m.pool.size() > 1 && m.team_capable) return one_slice_step(x, labels, n);
  const size_t P = m.net.num_params();
  m.outs[0] = m.grads.data();
  for (int t = 1; t < m.pool.size(); ++t) m.outs[t] = m.tgrads[t].data();
  slice_grads(x, labels, n, used, 0, used, m.outs.data(), m.losses.data());
  float* g = m.grads.data();
  for (int t = 1; t < used; ++t) add_grads(g, m.outs[t], P);
  double loss = 0.0;
  for (int t = 0; t < used; ++t) loss += m.losses[t];
  return loss / n;
}

// A batch of one slice: on a team of two threads or on this one, as the
// choice says; the first step at a batch size runs alone and sizes the
// workspace, which a team only reads the sizes of (that step's time is not
// the team's, so the choice does not hear of it).
double StepRunner::one_slice_step(const float* x, const int* labels, int n) {
  Impl& m = *impl_;
  const bool wanted = m.choice.next(n);
  const bool team = wanted && m.sized_n == n;
  m.last_team = team;
  const auto t0 = std::chrono::steady_clock::now();
  double loss;
  if (team) {
    loss = m.team_step(x, labels, n);
  } else {
    float* g = m.grads.data();
    double sum = 0.0;
    slice_grads(x, labels, n, 1, 0, 1, &g, &sum);
    m.sized_n = n;
    loss = sum / n;
  }
  if (team == wanted) {
    m.choice.record(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return loss;
}

void StepRunner::step_optimizer(Optimizer<float>& opt, double lr) {
  Impl& m = *impl_;
  if (!m.last_team) return opt.step(m.net.params(), m.grads.data(), lr);
  opt.begin_step();
  const int T = Impl::kTeam;
  const size_t P = opt.size();
  auto job = [&](int r) {
    // Shares in whole cache lines (16 floats), in rank order.
    const size_t b = r == 0 ? 0 : P * r / T / 16 * 16,
                 e = r + 1 == T ? P : P * (r + 1) / T / 16 * 16;
    if (e > b) opt.update(m.net.params(), m.grads.data(), lr, b, e);
  };
  m.pool.run(T, job);
}

void StepRunner::set_team(TeamMode mode) {
  impl_->choice.set_mode(mode);
}
bool StepRunner::team_chosen() const {
  const Impl& m = *impl_;
  return m.team_capable && m.pool.size() > 1 && m.choice.chose_team();
}

void StepRunner::set_step_key(uint64_t key) {
  impl_->key = key;
}
uint64_t StepRunner::step_key() const {
  return impl_->key;
}

void StepRunner::set_loss(const LossDef& loss) {
  impl_->loss = &loss;
}
const LossDef& StepRunner::loss() const {
  return *impl_->loss;
}

const float* StepRunner::grads() const {
  return impl_->grads.data();
}
float* StepRunner::grads() {
  return impl_->grads.data();
}

void StepRunner::predict(const float* x, int n, float* logits) {
  Impl& m = *impl_;
  m.sized_n = -1;
  const int used = std::min(m.pool.size(), std::max(n, 1));
  const size_t in = numel(m.net.input_dims());
  const size_t k = static_cast<size_t>(m.net.num_classes());
  auto job = [&](int t) {
    int b, e;
    Impl::slice(n, used, t, b, e);
    if (e <= b) return;
    const RunInfo run{Mode::eval, 0, b};
    const float* out =
        m.plan.forward(m.net.params(), m.net.buffers(), x + b * in, e - b, run, m.ws[t]);
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
