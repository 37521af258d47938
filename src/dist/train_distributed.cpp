// train_distributed(): a Session per rank whose gradient step is the
// slices of this rank, summed over all ranks in slice order.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>

#include "dist/comm.h"
#include "dist/slice_reduce.h"
#include "dist/watchdog.h"
#include "handgrad/core/cpu.h"
#include "handgrad/dist/train.h"
#include "handgrad/train/session.h"
#include "train/checkpoint.h"

namespace handgrad::dist {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// FNV-1a over the parameters' bytes: equal weights give equal sums, and a
// single flipped bit changes it.
uint64_t checksum(const float* p, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n * sizeof(float); ++i) h = (h ^ b[i]) * 1099511628211ULL;
  return h;
}

// A failure as it travels between ranks: "code \x1f field \x1f message".
std::string encode(int code, const std::string& field, const std::string& msg) {
  return std::to_string(code) + '\x1f' + field + '\x1f' + msg;
}

AgreedError decode(int rank, int size, const std::string& s) {
  const size_t a = s.find('\x1f'), b = s.find('\x1f', a + 1);
  return AgreedError(rank, size, s.substr(a + 1, b - a - 1), s.substr(b + 1),
                     std::atoi(s.substr(0, a).c_str()));
}

// HANDGRAD_TEST_PERTURB="R:K": rank R changes one gradient value at step K,
// so that the tests can see --check-sync catch ranks that drift apart.
void parse_perturb(int& rank, long& step) {
  const char* v = std::getenv("HANDGRAD_TEST_PERTURB");
  if (!v) return;
  char* end = nullptr;
  rank = static_cast<int>(std::strtol(v, &end, 10));
  if (*end == ':') step = std::strtol(end + 1, nullptr, 10);
}

struct Run {
  Job& job;
  Comm& comm;
  const DistOptions& d;
  const int R, r;
  TrainOptions o;
  int T = 1;
  Watchdog dog;
  std::unique_ptr<Session> s;
  std::unique_ptr<SliceReducer> reducer;
  std::vector<double> losses, compute, exchange;
  size_t floats_sent = 0;
  double last_loss = 0;
  bool agreed = false;
  int perturb_rank = -1;
  long perturb_step = -1;

  Run(Job& j, const TrainOptions& given, const DistOptions& dopts)
      : job(j),
        comm(j.comm()),
        d(dopts),
        R(j.size()),
        r(j.rank()),
        o(given),
        dog(dopts.timeout_seconds,
            "rank " + std::to_string(j.rank()) + " of " + std::to_string(j.size())) {
    parse_perturb(perturb_rank, perturb_step);
  }

  void resolve_threads();
  void setup();
  void agree(const std::string& mine);
  double gradient(const float* x, const int* labels, int n);
  void check_sync(long after_step);
  TrainResult run(DistStats& stats);
};

// S, the run's slices per batch, is its `threads` setting: R * --threads
// (1 by default: one rank per core) for a new run, the checkpoint's when
// resuming, whatever R is now. Each rank runs ceil(S / R) threads.
void Run::resolve_threads() {
  if (o.resume.empty()) {
    T = o.threads > 0 ? o.threads : 1;
    o.threads = T * R;
    return;
  }
  const int S = read_checkpoint_state(o.resume).options.threads;
  T = std::clamp((S + R - 1) / R, 1, default_threads());
}

// Every rank reports its setup (ok, or its error) once; the first failing
// rank's error is thrown on every rank, before rank 0 makes the run folder.
void Run::agree(const std::string& mine) {
  agreed = true;
  dog.arm("the setup (every rank loading its data)", 0);
  const std::vector<std::string> all = comm.allgather(mine);
  dog.disarm();
  for (int q = 0; q < R; ++q) {
    if (!all[static_cast<size_t>(q)].empty()) throw decode(q, R, all[static_cast<size_t>(q)]);
  }
}

void Run::setup() {
  try {
    resolve_threads();
    if (r != 0) {
      o.quiet = true;
      o.plots = false;
    }
    SessionRole role;
    role.writes = r == 0;
    role.runner_threads = T;
    role.ready = [this] { agree(""); };
    s = std::make_unique<Session>(o, role);
  } catch (const AgreedError&) {
    throw;
  } catch (const Error& e) {
    if (agreed) throw;  // after the agreement: this rank's own failure
    const auto* f = dynamic_cast<const FieldError*>(&e);
    agree(encode(e.exit_code(), f ? f->field() : "", e.what()));
  } catch (const std::exception& e) {
    if (agreed) throw;
    agree(encode(kExitFailure, "", e.what()));
  }
  reducer = std::make_unique<SliceReducer>(comm, s->network().num_params());
}

// This rank's slices of the batch, then the exact sum over all ranks.
double Run::gradient(const float* x, const int* labels, int n) {
  const long step = s->step() + 1;
  if (d.check_sync) check_sync(step - 1);
  StepRunner& runner = s->runner();
  const int used = runner.slices_for(n, s->options().threads);
  const SliceRange mine = owned_slices(used, R, r);
  float* const* bufs = reducer->buffers(mine.count);
  losses.assign(static_cast<size_t>(std::max(1, mine.count)), 0.0);
  const auto t0 = Clock::now();
  runner.slice_grads(x, labels, n, used, mine.first, mine.count, bufs, losses.data());
  compute.push_back(seconds_since(t0));
  const auto t1 = Clock::now();
  dog.arm("the gradient exchange", step);
  last_loss = reducer->reduce(runner, used, mine, losses.data(), n, runner.grads());
  dog.disarm();
  exchange.push_back(seconds_since(t1));
  floats_sent = reducer->floats_sent();
  if (r == perturb_rank && step == perturb_step) {
    runner.grads()[0] += 1.0f;  // a step of lr in one weight: never rounded away
  }
  return last_loss;
}

void Run::check_sync(long after_step) {
  const Network<float>& net = s->network();
  dog.arm("the parameter check", after_step);
  const std::vector<uint64_t> all = comm.allgather(checksum(net.params(), net.num_params()));
  dog.disarm();
  for (int q = 1; q < R; ++q) {
    if (all[static_cast<size_t>(q)] != all[0]) {
      char hex[80];
      std::snprintf(hex, sizeof hex, "%016llx, rank 0's %016llx",
                    static_cast<unsigned long long>(all[static_cast<size_t>(q)]),
                    static_cast<unsigned long long>(all[0]));
      throw AgreedError(0, R, "",
                        "--check-sync: the parameters of rank " + std::to_string(q) +
                            " differ from rank 0's " +
                            (after_step == 0 ? "before the first step"
                                             : "after step " + std::to_string(after_step)) +
                            " (checksum " + hex + ")",
                        kExitFailure);
    }
  }
}

TrainResult Run::run(DistStats& stats) {
  stats.world_size = R;
  stats.rank = r;
  stats.threads_per_rank = T;
  stats.slices = s->options().threads;
  stats.out_dir = s->options().out_dir;
  stats.first_step = s->step();
  if (d.on_start) d.on_start(stats);
  s->set_gradient_fn([this](const float* x, const int* y, int n) { return gradient(x, y, n); });
  while (!s->finished()) {
    try {
      s->advance();
    } catch (const Error& e) {
      // The loss is the reduced one, the same on every rank: all stop here.
      if (!std::isfinite(last_loss)) throw AgreedError(0, R, "", e.what(), e.exit_code());
      throw;
    }
    if (d.on_step) d.on_step(s->step());
  }
  if (d.check_sync) check_sync(s->step());
  stats.steps = s->step() - stats.first_step;
  stats.compute_median = median(compute);
  stats.exchange_median = median(exchange);
  stats.exchange_min = exchange.empty() ? 0 : *std::min_element(exchange.begin(), exchange.end());
  stats.bytes_sent_per_step = 4.0 * static_cast<double>(floats_sent);
  return s->finish();
}

}  // namespace

TrainResult train_distributed(Job& job, const TrainOptions& options, const DistOptions& d,
                              DistStats* stats) {
  Run run(job, options, d);
  run.setup();
  DistStats local;
  return run.run(stats ? *stats : local);
}

}  // namespace handgrad::dist
