// handgrad bench: training throughput (forward + backward + SGD step, data
// already in memory) in samples/s, the median of several timed repetitions
// after a warm-up, with a per-op time breakdown; or, with --peak, this
// machine's float32 multiply-add peak measured with a tiny register-only loop.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <vector>

#include "command.h"
#include "handgrad/arch.h"
#include "handgrad/cpu.h"
#include "handgrad/error.h"
#include "handgrad/fast_net.h"
#include "handgrad/flops.h"
#include "handgrad/kernels.h"
#include "handgrad/layers.h"
#include "handgrad/optim.h"
#include "handgrad/step.h"

namespace handgrad::cli {
namespace {

struct Opts {
  std::string preset, arch, input, kernels;
  int batch = 8;
  int threads = 1;
  int steps = 0;  // per repetition; 0 = about --seconds each
  int reps = 7;
  double seconds = 0.3;
  bool json = false;
  bool peak = false;
};

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// CPU seconds used by the whole process (all threads).
double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int run_peak(const Opts& o) {
  const KernelTable* k = fast_kernels();
  if (!k) k = kernels::generic_table();
  const int T = o.threads;
  // Calibrate on one thread to about 0.1 s, then time all threads together.
  long iters = 1 << 16;
  for (;;) {
    const double t0 = now();
    k->fma_peak(iters);
    if (now() - t0 > 0.05) break;
    iters *= 2;
  }
  iters *= 2;
  // runs: GFLOP/s of wall time; cpu_runs: per (process CPU second / T),
  // what the cores deliver while they are ours (robust to other load).
  std::vector<double> runs, cpu_runs;
  for (int r = 0; r < std::max(3, o.reps); ++r) {
    std::vector<std::thread> pool;
    std::vector<double> flops(T);
    const double t0 = now(), c0 = cpu_now();
    for (int t = 0; t < T; ++t) pool.emplace_back([&, t] { flops[t] = k->fma_peak(iters); });
    for (auto& th : pool) th.join();
    const double dt = now() - t0, dc = cpu_now() - c0;
    double total = 0;
    for (double f : flops) total += f;
    runs.push_back(total / dt / 1e9);
    cpu_runs.push_back(total / (dc / T) / 1e9);
  }
  const double best = *std::max_element(runs.begin(), runs.end());
  const double best_cpu = *std::max_element(cpu_runs.begin(), cpu_runs.end());
  if (o.json) {
    nlohmann::json j = {{"peak_gflops", best},           {"peak_gflops_cpu", best_cpu},
                        {"median_gflops", median(runs)}, {"threads", T},
                        {"kernel_path", k->name},        {"vector_floats", k->vlen}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf(
        "fma peak: %.1f GFLOP/s on %d thread(s) (%s, %d-float vectors; best of %zu, "
        "median %.1f); per CPU time %.1f GFLOP/s\n",
        best, T, k->name, k->vlen, runs.size(), median(runs), best_cpu);
  }
  return 0;
}

int run(const Opts& o) {
  if (!o.kernels.empty()) set_kernel_path(o.kernels.c_str());
  if (o.threads < 1) throw UsageError("--threads: must be >= 1");
  if (o.peak) return run_peak(o);
  if (o.batch < 1) throw UsageError("--batch-size: must be >= 1");
  if (o.reps < 1) throw UsageError("--reps: must be >= 1");
  if (o.steps < 0) throw UsageError("--steps: must be >= 0");
  const auto [arch, input] = resolve_net(o.preset, o.arch, o.input);
  const std::string name = !o.arch.empty() ? "custom" : o.preset.empty() ? "seed-cnn" : o.preset;
  Network<float> net(arch, input);
  net.init(1);
  const int B = o.batch, classes = net.num_classes();
  const size_t per = numel(input);
  // Synthetic data, in memory: 32 batches cycled.
  const int nb = 32;
  std::vector<float> x(per * B * nb);
  std::vector<int> y(static_cast<size_t>(B) * nb);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (auto& v : x) v = u(rng);
  for (auto& v : y) v = static_cast<int>(rng() % classes);

  StepRunner runner(net, o.threads);
  SgdOptions so;
  so.lr = 0.01;
  so.momentum = 0.9;
  Sgd<float> opt(net.num_params(), so);
  long step_no = 0;
  auto step = [&] {
    const size_t b = static_cast<size_t>(step_no++ % nb);
    runner.loss_and_grad(x.data() + b * per * B, y.data() + b * B, B);
    opt.step(net.params(), runner.grads());
  };
  // Warm-up (also sizes every buffer), then pick steps per repetition.
  long steps = o.steps;
  {
    const double t0 = now();
    long n = 0;
    while (n < 5 || now() - t0 < 0.2) {
      step();
      ++n;
    }
    if (steps == 0) steps = std::max(10L, static_cast<long>(n / (now() - t0) * o.seconds));
  }
  // rates: samples per wall second. cpu_rates: samples per (process CPU
  // seconds / threads), which a loaded machine disturbs less: on one thread
  // it is what the wall rate would be with the core to ourselves.
  std::vector<double> rates, cpu_rates;
  for (int r = 0; r < o.reps; ++r) {
    const double t0 = now(), c0 = cpu_now();
    for (long s = 0; s < steps; ++s) step();
    rates.push_back(static_cast<double>(steps) * B / (now() - t0));
    cpu_rates.push_back(static_cast<double>(steps) * B * o.threads / (cpu_now() - c0));
  }
  const double sps = median(rates), cpu_sps = median(cpu_rates);

  // Per-op breakdown: one thread, the whole batch, the same kernels.
  FastNet fast(net, fast_kernels());
  FastNet::Workspace ws;
  FastNet::Times times{std::vector<double>(fast.ops().size()),
                       std::vector<double>(fast.ops().size())};
  std::vector<float> g(net.num_params());
  const long prof_steps = std::max(10L, steps / 4);
  for (long s = -3; s < prof_steps; ++s) {
    const size_t b = static_cast<size_t>(s + 3) % nb;
    fast.prepare(net.params());
    std::fill(g.begin(), g.end(), 0.0f);
    fast.loss_and_grad(net.params(), x.data() + b * per * B, y.data() + b * B, B, B, ws, g.data(),
                       s >= 0 ? &times : nullptr);
  }
  const auto [ff, fb] = flops_per_sample(net);
  const double gflops = sps * (ff + fb) / 1e9;

  if (o.json) {
    nlohmann::json ops = nlohmann::json::array();
    for (size_t i = 0; i < fast.ops().size(); ++i) {
      ops.push_back({{"op", fast.ops()[i].name},
                     {"fwd_us", times.fwd[i] / prof_steps * 1e6},
                     {"bwd_us", times.bwd[i] / prof_steps * 1e6}});
    }
    nlohmann::json j = {{"preset", name},
                        {"arch", net.arch()},
                        {"batch", B},
                        {"threads", o.threads},
                        {"kernel_path", kernel_path()},
                        {"samples_per_s", sps},
                        {"samples_per_cpu_s", cpu_sps},
                        {"gflops_cpu", cpu_sps * (ff + fb) / 1e9},
                        {"reps", rates},
                        {"steps_per_rep", steps},
                        {"mflop_per_sample", (ff + fb) / 1e6},
                        {"mflop_fwd", ff / 1e6},
                        {"mflop_bwd", fb / 1e6},
                        {"gflops", gflops},
                        {"ops", ops}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("bench: %s (%s) on %s, batch %d, %d thread(s), kernels %s\n", name.c_str(),
              net.arch().c_str(), dims_str(input).c_str(), B, o.threads, kernel_path());
  std::printf(
      "training throughput: %.0f samples/s  (median of %d x %ld steps; min %.0f, max "
      "%.0f)\n",
      sps, o.reps, steps, *std::min_element(rates.begin(), rates.end()),
      *std::max_element(rates.begin(), rates.end()));
  std::printf("per CPU time: %.0f samples/s  (process CPU seconds / threads; robust to load)\n",
              cpu_sps);
  std::printf("work: %.3f MFLOP/sample (forward %.3f, backward %.3f) -> %.1f GFLOP/s\n",
              (ff + fb) / 1e6, ff / 1e6, fb / 1e6, gflops);
  std::printf("\nper op, 1 thread, batch %d (CPU us per step):\n%-28s %9s %9s\n", B, "op",
              "forward", "backward");
  double tf = 0, tb = 0;
  for (size_t i = 0; i < fast.ops().size(); ++i) {
    const double f = times.fwd[i] / prof_steps * 1e6, b = times.bwd[i] / prof_steps * 1e6;
    tf += f;
    tb += b;
    std::printf("%-28s %9.2f %9.2f\n", fast.ops()[i].name.c_str(), f, b);
  }
  std::printf("%-28s %9.2f %9.2f\n", "total", tf, tb);
  return 0;
}

const Register reg{
    {"bench", "Measure training throughput (samples/s) and the machine's FMA peak",
     [](CLI::App& sub) {
       auto o = std::make_shared<Opts>();
       add_net_flags(sub, o->preset, o->arch, o->input);
       sub.add_option("--batch-size", o->batch, "samples per step")->capture_default_str();
       add_threads_option(sub, o->threads, "threads for the step")->capture_default_str();
       sub.add_option("--steps", o->steps, "steps per repetition (0: about --seconds)")
           ->capture_default_str();
       sub.add_option("--reps", o->reps, "timed repetitions (the median is reported)")
           ->capture_default_str();
       sub.add_option("--seconds", o->seconds, "target seconds per repetition")
           ->capture_default_str();
       sub.add_option("--kernels", o->kernels, "auto, avx512, avx2, generic or reference");
       sub.add_flag("--json", o->json, "one JSON object on stdout");
       sub.add_flag("--peak", o->peak, "measure the float32 FMA peak instead (per --threads)");
       return [o] { return run(*o); };
     }}};

}  // namespace
}  // namespace handgrad::cli
