// handgrad bench: training throughput (forward + backward + optimizer step,
// data already in memory) in samples/s, the median of several timed
// repetitions after a warm-up, with a per-op time breakdown; --optimizer
// sgd,adam times several optimizers in interleaved repetitions of the same
// run and gives their ratios; or, with --peak, this machine's float32
// multiply-add peak measured with a tiny register-only loop.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <vector>

#include "command.h"
#include "handgrad/core/cpu.h"
#include "handgrad/core/error.h"
#include "handgrad/layers/loss.h"
#include "handgrad/model/flops.h"
#include "handgrad/model/presets.h"
#include "handgrad/optim/optimizer.h"
#include "handgrad/train/step_runner.h"
#include "kernels/kernels.h"
#include "model/plan.h"

namespace handgrad::cli {
namespace {

struct Opts {
  std::string preset, arch, input, kernels;
  std::string optimizers = "sgd";  // comma-separated; the first is the baseline
  std::string loss = "ce";
  std::string team = "auto";  // a one-slice step on a team of the threads: auto, on or off
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

// Synthetic data, in memory: 32 batches cycled.
struct Data {
  static constexpr int kBatches = 32;
  std::vector<float> x;
  std::vector<int> y;
  Data(const Network<float>& net, int B) {
    x.resize(numel(net.input_dims()) * B * kBatches);
    y.resize(static_cast<size_t>(B) * kBatches);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (auto& v : x) v = u(rng);
    for (auto& v : y) v = static_cast<int>(rng() % net.num_classes());
  }
};

struct Rates {
  long steps = 0;                 // per repetition
  std::vector<double> wall, cpu;  // samples per wall second; per (CPU seconds / threads)
  double step_us = 0;             // the optimizer step alone, CPU us per step
};

// One optimizer's run: its own copy of the network (same initial weights),
// runner and optimizer, stepping through the same batches.
TeamMode team_mode(const std::string& s) {
  if (s == "auto") return TeamMode::automatic;
  if (s == "on") return TeamMode::on;
  if (s == "off") return TeamMode::off;
  throw UsageError("--team: '" + s + "' is not auto, on or off");
}

struct Trainee {
  std::string optimizer;
  std::unique_ptr<Network<float>> net;
  std::unique_ptr<StepRunner> runner;
  std::unique_ptr<Optimizer<float>> opt;
  long step_no = 0;

  Trainee(const NetSpec& spec, const std::string& name, const Opts& o)
      : optimizer(name), net(std::make_unique<Network<float>>(spec.arch, spec.input)) {
    net->init(1);
    runner = std::make_unique<StepRunner>(*net, o.threads);
    runner->set_team(team_mode(o.team));
    runner->set_loss(find_loss(o.loss));
    opt = make_optimizer<float>(net->num_params(), optimizer_defaults(name), runner->kernels());
  }
  void step(const Data& d, int B) {
    const size_t per = numel(net->input_dims());
    const size_t b = static_cast<size_t>(step_no++ % Data::kBatches);
    runner->loss_and_grad(d.x.data() + b * per * B, d.y.data() + b * B, B);
    runner->step_optimizer(*opt, opt->options().lr);
  }
};

std::vector<std::string> split_names(const std::string& list) {
  std::vector<std::string> out;
  size_t at = 0;
  for (;;) {
    const size_t comma = list.find(',', at);
    out.push_back(list.substr(at, comma - at));
    if (comma == std::string::npos) return out;
    at = comma + 1;
  }
}

// The optimizer step alone (the gradient of the last step, reused).
double optimizer_step_us(Trainee& t, long steps) {
  const double c0 = cpu_now();
  for (long s = 0; s < steps; ++s) t.opt->step(t.net->params(), t.runner->grads());
  return (cpu_now() - c0) / static_cast<double>(steps) * 1e6;
}

// Training steps (forward, backward, optimizer) timed in repetitions after a
// warm-up that also sizes every buffer; the optimizers take turns within
// each repetition, so a change in the machine's load hits them alike. cpu
// rates: what a loaded machine disturbs less; on one thread, what the wall
// rate would be with the core to ourselves.
std::vector<Rates> time_steps(std::vector<Trainee>& ts, const Data& d, const Opts& o) {
  const int B = o.batch;
  long n = 0;
  double t0 = now();
  for (auto& t : ts) t.step(d, B);  // sizes the buffers
  t0 = now();
  // With --steps given, nothing needs the clock: a fixed warm-up keeps the
  // run's instruction count repeatable (bench/callgrind_step.sh).
  while (n < 5 || (o.steps == 0 && now() - t0 < 0.2)) {
    ts.front().step(d, B);
    ++n;
  }
  const long steps =
      o.steps > 0 ? o.steps : std::max(10L, static_cast<long>(n / (now() - t0) * o.seconds));
  std::vector<Rates> r(ts.size());
  for (size_t i = 0; i < ts.size(); ++i) r[i].steps = steps;
  for (int rep = 0; rep < o.reps; ++rep) {
    for (size_t i = 0; i < ts.size(); ++i) {
      const double w0 = now(), c0 = cpu_now();
      for (long s = 0; s < steps; ++s) ts[i].step(d, B);
      r[i].wall.push_back(static_cast<double>(steps) * B / (now() - w0));
      r[i].cpu.push_back(static_cast<double>(steps) * B * o.threads / (cpu_now() - c0));
    }
  }
  for (size_t i = 0; i < ts.size(); ++i) r[i].step_us = optimizer_step_us(ts[i], steps);
  return r;
}

struct OpTime {
  std::string name;
  double fwd_us, bwd_us;
};

// Per-op breakdown: one thread, the whole batch, the plan the runner uses.
std::vector<OpTime> profile_ops(const Network<float>& net, const LossDef& loss, const Data& d,
                                int B, long steps) {
  const Plan<float> plan(net, PlanOptions{.kernels = fast_kernels()});
  const size_t per = numel(net.input_dims()), nops = plan.ops().size();
  Workspace<float> ws;
  Plan<float>::Times times{std::vector<double>(nops), std::vector<double>(nops)};
  std::vector<float> g(net.num_params());
  for (long s = -3; s < steps; ++s) {
    const size_t b = static_cast<size_t>(s + 3) % Data::kBatches;
    std::fill(g.begin(), g.end(), 0.0f);
    plan.loss_and_grad(net.params(), const_cast<float*>(net.buffers()), d.x.data() + b * per * B,
                       d.y.data() + b * B, B, B, loss, RunInfo{}, ws, g.data(), nullptr,
                       s >= 0 ? &times : nullptr);
  }
  std::vector<OpTime> out;
  for (size_t i = 0; i < nops; ++i) {
    out.push_back({plan.ops()[i]->name, times.fwd[i] / steps * 1e6, times.bwd[i] / steps * 1e6});
  }
  return out;
}

// Each optimizer's throughput and its ratio to the first's.
nlohmann::json optimizers_json(const std::vector<Trainee>& ts, const std::vector<Rates>& r) {
  nlohmann::json out = nlohmann::json::array();
  const double base = median(r.front().wall), base_cpu = median(r.front().cpu);
  for (size_t i = 0; i < ts.size(); ++i) {
    out.push_back({{"optimizer", ts[i].optimizer},
                   {"samples_per_s", median(r[i].wall)},
                   {"samples_per_cpu_s", median(r[i].cpu)},
                   {"ratio", median(r[i].wall) / base},
                   {"ratio_cpu", median(r[i].cpu) / base_cpu},
                   {"optimizer_step_us", r[i].step_us},
                   {"reps", r[i].wall}});
  }
  return out;
}

void print_json(const NetSpec& spec, const Opts& o, const std::vector<Trainee>& ts,
                const std::vector<Rates>& rates, const std::vector<OpTime>& ops) {
  const Network<float>& net = *ts.front().net;
  const Rates& r = rates.front();
  const auto [ff, fb] = flops_per_sample(net);
  const double sps = median(r.wall), cpu_sps = median(r.cpu);
  nlohmann::json jops = nlohmann::json::array();
  for (const auto& op : ops) {
    jops.push_back({{"op", op.name}, {"fwd_us", op.fwd_us}, {"bwd_us", op.bwd_us}});
  }
  nlohmann::json j = {{"preset", spec.label},
                      {"arch", net.arch()},
                      {"batch", o.batch},
                      {"threads", o.threads},
                      {"team", ts.front().runner->team_chosen()},
                      {"kernel_path", kernel_path()},
                      {"optimizer", ts.front().optimizer},
                      {"loss", o.loss},
                      {"samples_per_s", sps},
                      {"samples_per_cpu_s", cpu_sps},
                      {"gflops_cpu", cpu_sps * (ff + fb) / 1e9},
                      {"reps", r.wall},
                      {"steps_per_rep", r.steps},
                      {"mflop_per_sample", (ff + fb) / 1e6},
                      {"mflop_fwd", ff / 1e6},
                      {"mflop_bwd", fb / 1e6},
                      {"gflops", sps * (ff + fb) / 1e9},
                      {"ops", jops},
                      {"optimizers", optimizers_json(ts, rates)}};
  std::printf("%s\n", j.dump().c_str());
}

void print_optimizers(const std::vector<Trainee>& ts, const std::vector<Rates>& r) {
  const double base = median(r.front().wall), base_cpu = median(r.front().cpu);
  std::printf("\noptimizers, interleaved repetitions (samples/s, ratio to %s):\n",
              ts.front().optimizer.c_str());
  std::printf("%-10s %12s %7s %14s %7s %14s\n", "optimizer", "wall", "ratio", "per CPU time",
              "ratio", "step alone us");
  for (size_t i = 0; i < ts.size(); ++i) {
    std::printf("%-10s %12.0f %6.3fx %14.0f %6.3fx %14.2f\n", ts[i].optimizer.c_str(),
                median(r[i].wall), median(r[i].wall) / base, median(r[i].cpu),
                median(r[i].cpu) / base_cpu, r[i].step_us);
  }
}

void print_text(const NetSpec& spec, const Opts& o, const std::vector<Trainee>& ts,
                const std::vector<Rates>& rates, const std::vector<OpTime>& ops) {
  const Network<float>& net = *ts.front().net;
  const Rates& r = rates.front();
  const auto [ff, fb] = flops_per_sample(net);
  const double sps = median(r.wall);
  std::printf("bench: %s (%s) on %s, batch %d, %d thread(s), kernels %s, %s, loss %s\n",
              spec.label.c_str(), net.arch().c_str(), dims_str(net.input_dims()).c_str(), o.batch,
              o.threads, kernel_path(), ts.front().optimizer.c_str(), o.loss.c_str());
  std::printf(
      "training throughput: %.0f samples/s  (median of %d x %ld steps; min %.0f, max "
      "%.0f)\n",
      sps, o.reps, r.steps, *std::min_element(r.wall.begin(), r.wall.end()),
      *std::max_element(r.wall.begin(), r.wall.end()));
  std::printf("per CPU time: %.0f samples/s  (process CPU seconds / threads; robust to load)\n",
              median(r.cpu));
  if (o.threads > 1) {
    std::printf("threads: %s\n", ts.front().runner->team_chosen()
                                     ? "one team sharing each op (--team)"
                                     : "slices of the batch, or one thread (--team)");
  }
  std::printf("work: %.3f MFLOP/sample (forward %.3f, backward %.3f) -> %.1f GFLOP/s\n",
              (ff + fb) / 1e6, ff / 1e6, fb / 1e6, sps * (ff + fb) / 1e9);
  std::printf("\nper op, 1 thread, batch %d (CPU us per step):\n%-28s %9s %9s\n", o.batch, "op",
              "forward", "backward");
  double tf = 0, tb = 0;
  for (const auto& op : ops) {
    tf += op.fwd_us;
    tb += op.bwd_us;
    std::printf("%-28s %9.2f %9.2f\n", op.name.c_str(), op.fwd_us, op.bwd_us);
  }
  std::printf("%-28s %9.2f %9.2f\n", "total", tf, tb);
  for (size_t i = 0; i < ts.size(); ++i) {
    std::printf("%-28s %9.2f\n", ("optimizer step (" + ts[i].optimizer + ")").c_str(),
                rates[i].step_us);
  }
  if (ts.size() > 1) print_optimizers(ts, rates);
}

int run(const Opts& o) {
  if (!o.kernels.empty()) set_kernel_path(o.kernels);
  team_mode(o.team);  // refuse a bad --team before any work
  if (o.threads < 1) throw UsageError("--threads: must be >= 1");
  if (o.peak) return run_peak(o);
  if (o.batch < 1) throw UsageError("--batch-size: must be >= 1");
  if (o.reps < 1) throw UsageError("--reps: must be >= 1");
  if (o.steps < 0) throw UsageError("--steps: must be >= 0");
  const LossDef& loss = find_loss(o.loss);
  const NetSpec spec = resolve_net(o.preset, o.arch, o.input);
  std::vector<Trainee> ts;
  for (const std::string& name : split_names(o.optimizers)) {
    find_optimizer(name);  // names the flag when unknown
    ts.emplace_back(spec, name, o);
  }
  const Data d(*ts.front().net, o.batch);
  const std::vector<Rates> r = time_steps(ts, d, o);
  const auto ops =
      profile_ops(*ts.front().net, loss, d, o.batch, std::max(10L, r.front().steps / 4));
  if (o.json) {
    print_json(spec, o, ts, r, ops);
  } else {
    print_text(spec, o, ts, r, ops);
  }
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
       sub.add_option("--optimizer", o->optimizers,
                      "optimizer(s) with torch's defaults, comma-separated (" + optimizer_names() +
                          "): several are timed in interleaved repetitions, with ratios to the "
                          "first")
           ->capture_default_str();
       sub.add_option("--loss", o->loss, "ce or mse")->capture_default_str();
       sub.add_option("--team", o->team,
                      "a batch too small to slice runs on a team of the threads sharing each "
                      "op: auto (the faster, measured), on or off")
           ->capture_default_str();
       sub.add_flag("--json", o->json, "one JSON object on stdout");
       sub.add_flag("--peak", o->peak, "measure the float32 FMA peak instead (per --threads)");
       return [o] { return run(*o); };
     }}};

}  // namespace
}  // namespace handgrad::cli
