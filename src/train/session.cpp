// The training session: setup (options, data, network, optimizer, run
// folder), one step at a time, and the final report. Every run of `handgrad
// train` is these three parts in order.
#include "handgrad/train/session.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "boundary_output.h"
#include "checkpoint.h"
#include "handgrad/core/cpu.h"
#include "handgrad/core/error.h"
#include "handgrad/core/files.h"
#include "handgrad/core/finite.h"
#include "handgrad/core/signals.h"
#include "handgrad/data/batch_order.h"
#include "handgrad/data/standardize.h"
#include "handgrad/model/model_file.h"
#include "handgrad/model/presets.h"
#include "handgrad/optim/optimizer.h"
#include "handgrad/optim/schedule.h"
#include "handgrad/train/evaluate.h"
#include "outputs.h"
#include "progress.h"
#include "relu_report.h"
#include "resume_checks.h"
#include "run_folder.h"

namespace handgrad {

namespace {

using Clock = std::chrono::steady_clock;

// Dead-unit scan cost is a forward pass; cap it for large training sets.
constexpr int kReluScanLimit = 10000;

void validate_options(const TrainOptions& o) {
  find_loss(o.loss);
  validate(o.optim);
  validate(o.schedule);
  if (o.batch_size < 1) {
    throw FieldError("batch_size", "must be >= 1, got " + std::to_string(o.batch_size));
  }
  if (o.epochs < 1) throw FieldError("epochs", "must be >= 1, got " + std::to_string(o.epochs));
  if (o.iterations < 0) {
    throw FieldError("iterations", "must be >= 1, got " + std::to_string(o.iterations));
  }
  // 0: default_threads(); otherwise 1..max_threads() (cpu.h).
  if (o.threads != 0) {
    if (const std::string p = threads_problem(o.threads); !p.empty())
      throw FieldError("threads", p);
  }
  if (o.eval_every < 0) throw FieldError("eval_every", "must be >= 0");
  if (o.checkpoint_every < 0) throw FieldError("checkpoint_every", "must be >= 0");
  if (!(o.clip_grad_norm >= 0) || !std::isfinite(o.clip_grad_norm)) {
    throw FieldError("clip_grad_norm", "must be a number > 0 (0 = off)");
  }
  if (o.train_limit < 0) throw FieldError("train_limit", "must be >= 0 (0 = all)");
  if (o.test_limit < 0) throw FieldError("test_limit", "must be >= 0 (0 = all)");
  if (o.standardize && o.normalize) {
    throw FieldError("normalize", "give --standardize or --normalize, not both");
  }
}

void truncate(Dataset& d, int limit) {
  if (limit <= 0 || limit >= d.size()) return;
  d.y.resize(static_cast<size_t>(limit));
  d.x.resize(static_cast<size_t>(limit) * d.sample_size());
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string non_finite(double v) {
  return std::isnan(v) ? "NaN" : "infinite";
}

// FieldError("out") when dir holds run files (of another run: this one has
// not written any yet).
void refuse_other_run(const std::string& dir) {
  const std::vector<std::string> files = run_files_in(dir);
  if (files.empty()) return;
  std::string list;
  for (size_t i = 0; i < files.size() && i < 3; ++i) list += (i ? ", " : "") + files[i];
  if (files.size() > 3) list += ", ...";
  throw FieldError("out", dir + " holds another run (" + list + "); give another --out, --resume " +
                              dir + " to continue it, or --overwrite to replace it");
}

// A fresh run's folder, when it already exists: claimed at once, so a run
// busy in it is found before any data loads. Whether it holds another run's
// files is checked in claim_folder(), once every input has loaded: a bad
// input is reported first, whatever folder it was to be written to.
void claim_existing(RunLock& lock, const std::string& dir) {
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir, ec)) return;
  lock.acquire(dir);
}

// "adam (lr 0.001, cosine schedule), mse loss": what announce() prints.
std::string optimizer_summary(const TrainOptions& o) {
  const OptimizerOptions& p = o.optim;
  std::string s = p.optimizer + " (lr " + fmt("%g", p.lr);
  const auto& reads = find_optimizer(p.optimizer).settings;
  const auto has = [&](const char* f) {
    return std::find(reads.begin(), reads.end(), f) != reads.end();
  };
  if (has("momentum")) s += ", momentum " + fmt("%g", p.momentum);
  if (p.weight_decay != 0) s += ", weight decay " + fmt("%g", p.weight_decay);
  if (p.nesterov) s += ", nesterov";
  if (o.schedule.lr_schedule != "constant") s += ", " + o.schedule.lr_schedule + " schedule";
  return s + "), " + find_loss(o.loss).title + " loss";
}

// The settings a run uses: the given ones, or a resumed run's own with the
// length and where-to-write taken from the given ones. A resumed folder is
// claimed (when lock is given: the Session that writes) before its
// state.json is read.
TrainOptions resolve_options(const TrainOptions& given, TrainState& st, RunLock* lock) {
  if (given.resume.empty()) {
    if (lock) claim_existing(*lock, given.out_dir);
    TrainOptions o = given;
    absolutize_data_paths(o.data);
    return o;
  }
  std::error_code ec;
  if (lock && std::filesystem::is_directory(given.resume, ec)) lock->acquire(given.resume);
  Checkpoint c = read_checkpoint_state(given.resume);
  TrainOptions o = c.options;
  st = std::move(c.state);
  if (given.iterations > 0) {
    o.iterations = given.iterations;
  } else if (given.epochs_given) {
    o.epochs = given.epochs;
    o.iterations = 0;
  }
  o.resume = given.resume;
  o.out_dir = given.out_dir.empty() ? given.resume : given.out_dir;
  o.overwrite = given.overwrite;
  o.quiet = given.quiet;
  o.plots = given.plots;
  return o;
}

}  // namespace

std::string unique_run_dir(const std::string& label) {
  const std::string base = "runs/" + label + "-" + utc_stamp();
  std::string dir = base;
  for (int i = 2; std::filesystem::exists(dir); ++i) dir = base + "-" + std::to_string(i);
  return dir;
}

struct Session::Impl {
  Clock::time_point wall_start = Clock::now();
  SessionRole role;
  // The run folder, held for the Session's life (run_folder.h) by the
  // Session that writes it; declared before `o` because resolve_options()
  // takes it. out_lock: --out when a resume writes to another folder.
  RunLock lock, out_lock;
  TrainState st;
  TrainOptions o;
  bool resuming;
  bool completing = false;  // resumed when finished: draw the pictures only
  TrainTest data;
  std::string label;
  std::unique_ptr<Network<float>> net;
  std::vector<std::vector<int>> order;  // --batch-order: the steps, else empty
  int n_train = 0;
  long spe = 0, total = 0, eval_every = 0, curve_every = 0;
  int epochs_shown = 0;
  std::unique_ptr<StepRunner> runner;
  std::unique_ptr<Optimizer<float>> opt;
  std::optional<LrSchedule> lr_at;           // the rate of each step
  std::map<std::string, std::string> extra;  // model metadata
  // The shuffling rng is separate from the init rng (seeded differently) so
  // that the data order does not mirror the weights' random draws.
  Rng rng;
  std::vector<uint64_t> epoch_rng;
  std::optional<Progress> progress;
  std::optional<MetricsCsv> metrics;  // o.out_dir's, once that is known
  GradientFn gradient_fn;
  TrainResult res;
  long last_ckpt = -1;
  EvalResult last_eval;
  double since_eval_seconds = 0, curve_sum = 0, last_loss = NAN;
  long since_eval_samples = 0, curve_count = 0, step = 0, in_epoch = 0;
  std::vector<float> xb;
  std::vector<int> yb, perm;

  Impl(const TrainOptions& given, SessionRole r);
  void claim_folder();
  void load_run_data();
  void build_network();
  void schedule(const TrainOptions& given);
  void init_weights();
  void announce();
  void advance();
  void step_eval_and_save();
  void gather(const int*& idx, int& n);
  void bookkeep(double loss, int n, double dt);
  [[noreturn]] void diverged(const std::string& what, long at);
  [[noreturn]] void interrupted(int sig);
  std::string non_finite_state() const;
  void do_eval(long at);
  void checkpoint(long at);
  TrainResult finish();
  void report_dead_units();
};

Session::Impl::Impl(const TrainOptions& given, SessionRole r)
    : role(std::move(r)),
      o(resolve_options(given, st, role.writes ? &lock : nullptr)),
      resuming(!given.resume.empty()),
      rng(o.seed ^ 0xD1B54A32D192ED03ULL) {
  validate_options(o);
  if (o.threads == 0) o.threads = default_threads();
  load_run_data();
  build_network();
  schedule(given);
  o.out_dir = o.out_dir.empty() ? unique_run_dir(label) : o.out_dir;
  runner =
      std::make_unique<StepRunner>(*net, role.runner_threads > 0 ? role.runner_threads : o.threads);
  runner->set_loss(find_loss(o.loss));
  opt = make_optimizer<float>(net->num_params(), o.optim, runner->kernels());
  lr_at.emplace(o.schedule, o.optim.lr, total, spe);
  init_weights();
  // Only now that every input (data, --init, checkpoint) has loaded: a run
  // refused for bad input leaves no folder behind.
  if (role.ready) role.ready();
  if (role.writes) claim_folder();
  if (!resuming) st.run_id = run_id(o, st.train_hash, st.test_hash);
  if (const std::string w = note_kernel_path(st, resuming); !w.empty()) res.warnings.push_back(w);
  extra = {{"training", settings_json(o)},
           {"data", o.data.data},
           {"run_id", st.run_id},
           {"kernels", st.kernels}};
  if (resuming) rng.set_state(st.rng);
  epoch_rng = rng.state();
  step = st.step;
  in_epoch = step % spe;
  progress.emplace(o.quiet, total, st.step);
  metrics.emplace(o.out_dir + "/metrics.csv");
  if (!completing) announce();
  if (const std::string w = single_class_warning(data.train); !w.empty()) res.warnings.push_back(w);
  res.out_dir = o.out_dir;
  res.model_path = o.out_dir + "/model.safetensors";
  res.arch = net->arch();
  res.num_classes = net->num_classes();
  res.loss_title = runner->loss().title;
  last_ckpt = resuming ? st.step : -1;
  // loss.png's training curve: the mean loss of every `curve_every` steps.
  curve_every = std::max(1L, total / 200);
}

// Creates and claims the folder the run writes. A fresh run (or a resume
// into another folder) replaces another run's files only with overwrite.
void Session::Impl::claim_folder() {
  make_dirs(o.out_dir);
  const bool own = resuming && lock.holds(o.out_dir);
  RunLock& l = resuming && !own ? out_lock : lock;
  l.acquire(o.out_dir);
  if (own) return;
  if (!o.overwrite) refuse_other_run(o.out_dir);
  remove_run_files(o.out_dir);
}

void Session::Impl::load_run_data() {
  data = load_data(o.data);
  truncate(data.train, o.train_limit);
  truncate(data.test, o.test_limit);
  if (data.train.size() == 0) throw Error(data.train.name + ": no training samples");
  n_train = data.train.size();
  if (resuming) {
    check_resumed_data(st, data, o.resume);
  } else {
    st.train_hash = content_hash(data.train);
    st.test_hash = content_hash(data.test);
  }
}

void Session::Impl::build_network() {
  label = o.arch.empty() ? o.preset : "custom";
  const NetSpec spec =
      resolve_net(o.arch.empty() ? o.preset : "", o.arch, o.input, &data.train.sample_dims);
  net = std::make_unique<Network<float>>(spec.arch, spec.input);
  // Flat samples (a CSV) feed an image network given by --input when the
  // sizes agree: the features are the image in row-major (C, H, W) order.
  for (Dataset* d : {&data.train, &data.test}) {
    if (d->sample_dims.size() == 1 && spec.input.size() > 1 &&
        numel(d->sample_dims) == numel(spec.input)) {
      d->sample_dims = spec.input;
    }
  }
  try {
    check_data_fits(*net, data.train, data.train.name);
    check_data_fits(*net, data.test, data.test.name);
  } catch (const FieldError&) {
    throw;
  } catch (const UsageError& e) {
    throw FieldError("data", e.what());
  }
}

// Steps per epoch, total steps and when to evaluate.
void Session::Impl::schedule(const TrainOptions& given) {
  if (!o.batch_order.empty()) order = read_batch_order(o.batch_order, n_train);
  // Steps per epoch: ceil(N / B), the last batch partial; a batch-order file is one epoch.
  spe = order.empty() ? (long{n_train} + o.batch_size - 1) / o.batch_size
                      : static_cast<long>(order.size());
  total = o.iterations > 0 ? o.iterations : o.epochs * spe;
  if (!order.empty()) {
    total = o.iterations > 0 ? o.iterations : spe;
    if (total > spe) {
      throw FieldError("iterations", std::to_string(total) + " steps but " + o.batch_order +
                                         " has only " + std::to_string(spe) + " lines");
    }
  }
  epochs_shown = static_cast<int>((total + spe - 1) / spe);
  // Besides every epoch end, evaluate every --eval-every steps; by default
  // about 10 times per run, so a 2-epoch run still draws a curve.
  eval_every = o.eval_every > 0 ? o.eval_every : std::max(1L, (total + 9) / 10);
  // Resumed at its own end, a run has only its pictures left to draw (one
  // killed after its last checkpoint): finish() draws them in its folder.
  completing = resuming && st.step == total && o.out_dir == o.resume;
  if (resuming && st.step >= total && !completing) {
    throw FieldError("resume", given.resume + " has already trained " + std::to_string(st.step) +
                                   " steps; give a larger --epochs or --iterations");
  }
}

// Fresh weights (a scheme or a file) and the input step, or a checkpoint's.
void Session::Impl::init_weights() {
  if (resuming) {
    const auto meta = load_checkpoint_weights(o.resume, st, *net, *opt);
    net->set_input_norm(
        input_norm_from_metadata(meta, numel(net->input_dims()), o.resume + "/model.safetensors"));
    return;
  }
  if (o.init == "torch" || o.init == "he" || o.init == "xavier") {
    net->init(o.seed, parse_init(o.init));
  } else {
    struct stat sb {};
    if (stat(o.init.c_str(), &sb) != 0) {
      throw FieldError(
          "init", "'" + o.init + "' is neither torch, he, xavier nor an existing safetensors file");
    }
    load_params(read_safetensors(o.init), *net, o.init);
  }
  if (o.standardize) net->set_input_norm(fit_standardizer(data.train));
  if (o.normalize) net->set_input_norm(mnist_normalization(data.train.sample_size()));
}

void Session::Impl::announce() {
  if (o.quiet) return;
  progress->message(
      "train: " + (o.arch.empty() ? o.preset + " (" + net->arch() + ")" : net->arch()) + " on " +
      data.train.name + " (" + std::to_string(n_train) + " samples, test " +
      std::to_string(data.test.size()) + "), " + std::to_string(total) + " steps of batch " +
      (order.empty() ? std::to_string(o.batch_size) : "from " + o.batch_order) + ", " +
      optimizer_summary(o) + ", init " + o.init + (o.standardize ? ", standardised inputs" : "") +
      (o.clip_grad_norm > 0 ? ", clip-grad-norm " + fmt("%g", o.clip_grad_norm) : "") + ", seed " +
      std::to_string(o.seed) + ", " + std::to_string(o.threads) + " thread(s) -> " + o.out_dir +
      (resuming ? " (resumed at step " + std::to_string(st.step) + ")" : ""));
}

// The sample indices of the current step.
void Session::Impl::gather(const int*& idx, int& n) {
  if (order.empty() && (in_epoch == 0 || perm.empty())) {
    epoch_rng = rng.state();
    perm = rng.permutation(n_train);
  }
  if (order.empty()) {
    idx = perm.data() + in_epoch * o.batch_size;
    n = static_cast<int>(std::min<long>(o.batch_size, n_train - in_epoch * o.batch_size));
  } else {
    idx = order[static_cast<size_t>(step)].data();
    n = static_cast<int>(order[static_cast<size_t>(step)].size());
  }
}

void Session::Impl::advance() {
  const auto loop_t0 = Clock::now();
  step_eval_and_save();
  st.loop_seconds += std::chrono::duration<double>(Clock::now() - loop_t0).count();
}

// One step, then the evaluation and checkpoint due after it.
void Session::Impl::step_eval_and_save() {
  const int* idx;
  int n;
  gather(idx, n);
  const auto t0 = Clock::now();
  const size_t ss = data.train.sample_size();
  xb.resize(static_cast<size_t>(n) * ss);
  yb.resize(static_cast<size_t>(n));
  gather_batch(data.train, idx, n, xb.data(), yb.data());
  runner->set_step_key(step_key(o.seed, static_cast<uint64_t>(step)));  // dropout masks
  const double loss = gradient_fn ? gradient_fn(xb.data(), yb.data(), n)
                                  : runner->loss_and_grad(xb.data(), yb.data(), n);
  if (!std::isfinite(loss)) diverged("the loss is " + non_finite(loss), step + 1);
  if (o.clip_grad_norm > 0) clip_grad_norm(runner->grads(), net->num_params(), o.clip_grad_norm);
  runner->step_optimizer(*opt, lr_at->at(step));
  bookkeep(loss, n, std::chrono::duration<double>(Clock::now() - t0).count());
  const bool epoch_end = in_epoch == spe;
  if (epoch_end) {
    in_epoch = 0;
    st.epoch_loss_sum = 0;
    st.epoch_loss_count = 0;
  }
  // A checkpoint (and an evaluation with it) every --checkpoint-every
  // epochs and at the end: 2-D runs have 100 tiny epochs, and fsync'ing
  // three files after each would take longer than the training.
  const bool save = step == total ||
                    (epoch_end && o.checkpoint_every > 0 && (step / spe) % o.checkpoint_every == 0);
  if (!role.writes) return;
  if (save || step % eval_every == 0) do_eval(step);
  if (save) checkpoint(step);
}

// Counters, the loss curve and the progress line after a step.
void Session::Impl::bookkeep(double loss, int n, double dt) {
  last_loss = loss;
  st.train_seconds += dt;
  since_eval_seconds += dt;
  since_eval_samples += n;
  st.samples += n;
  st.epoch_loss_sum += loss;
  ++st.epoch_loss_count;
  st.eval_loss_sum += loss;
  ++st.eval_loss_count;
  curve_sum += loss;
  ++curve_count;
  ++step;
  ++in_epoch;
  if (step % curve_every == 0 || step == total) {
    st.curve.push_back({static_cast<double>(st.samples) / n_train, curve_sum / curve_count});
    curve_sum = 0;
    curve_count = 0;
  }
  progress->update(step, static_cast<int>((step - 1) / spe) + 1, epochs_shown,
                   st.epoch_loss_sum / st.epoch_loss_count,
                   st.samples / std::max(1e-9, st.train_seconds));
}

// A NaN or infinite training loss, test loss or parameter: stop before the
// next checkpoint could keep it, naming what and when.
void Session::Impl::diverged(const std::string& what, long at) {
  progress->finish();
  throw Error("training diverged: " + what + " at step " + std::to_string(at) + " (epoch " +
              std::to_string((at - 1) / spe + 1) +
              "); stopped (try a smaller --lr or --clip-grad-norm); " +
              (last_ckpt >= 0 ? "kept the last good checkpoint " + res.model_path + " (step " +
                                    std::to_string(last_ckpt) + ")"
                              : "no checkpoint had been written yet"));
}

// "" when every parameter, buffer and optimizer state value is finite, else
// which is not.
std::string Session::Impl::non_finite_state() const {
  for (const auto& p : net->param_info()) {
    const float* v = net->params() + p.offset;
    if (const size_t i = first_non_finite(v, p.size); i < p.size) {
      return "parameter '" + p.name + "' is " + non_finite(v[i]) + " (at index " +
             std::to_string(i) + ")";
    }
  }
  for (const auto& b : net->buffer_info()) {
    const float* v = net->buffers() + b.offset;
    if (const size_t i = first_non_finite(v, b.size); i < b.size) {
      return "buffer '" + b.name + "' is " + non_finite(v[i]);
    }
  }
  for (const auto& t : opt->state()) {
    const float* m = t.values->data();
    if (const size_t i = first_non_finite(m, t.values->size()); i < t.values->size()) {
      return "the optimizer's " + t.name + " is " + non_finite(m[i]);
    }
  }
  return "";
}

// A stop request between steps: keep what the run has done (a checkpoint
// at this step, unless one was just written) and say how to go on.
void Session::Impl::interrupted(int sig) {
  if (step > 0 && step != last_ckpt) checkpoint(step);
  progress->finish();
  const std::string name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
  if (last_ckpt < 0) {
    throw Error("interrupted by " + name + " before the first step; nothing was written",
                stop_exit_code(sig));
  }
  throw Error("interrupted by " + name + " at step " + std::to_string(step) + " of " +
                  std::to_string(total) +
                  "; checkpoint written; resume with: handgrad train --resume " + o.out_dir,
              stop_exit_code(sig));
}

void Session::Impl::do_eval(long at) {
  last_eval = handgrad::evaluate(*runner, *net, data.test);
  if (!std::isfinite(last_eval.loss))
    diverged("the test loss is " + non_finite(last_eval.loss), at);
  EvalRow row;
  row.step = at;
  row.epoch = static_cast<double>(st.samples) / n_train;
  row.train_loss = st.eval_loss_count > 0 ? st.eval_loss_sum / st.eval_loss_count : NAN;
  row.test_loss = last_eval.loss;
  row.test_accuracy = last_eval.accuracy;
  row.samples_per_second = since_eval_seconds > 0 ? since_eval_samples / since_eval_seconds : 0;
  row.lr = lr_at->at(at - 1);
  st.history.push_back(row);
  st.eval_loss_sum = 0;
  st.eval_loss_count = 0;
  since_eval_seconds = 0;
  since_eval_samples = 0;
  metrics->update(st.history);
  progress->message("step " + std::to_string(at) + " (epoch " + fmt("%.2f", row.epoch) +
                    "): train loss " + fmt("%.4f", row.train_loss) + ", test loss " +
                    fmt("%.4f", row.test_loss) + ", test accuracy " +
                    fmt("%.4f", row.test_accuracy));
}

void Session::Impl::checkpoint(long at) {
  // Only finite checkpoints: the last one stays the last good one.
  if (const std::string bad = non_finite_state(); !bad.empty()) diverged(bad, at);
  st.step = at;
  st.rng = in_epoch == 0 ? rng.state() : epoch_rng;
  st.finished = at >= total;
  extra["step"] = std::to_string(at);
  write_checkpoint(o.out_dir, *net, *opt, o, st, extra);
  last_ckpt = at;
}

void Session::Impl::report_dead_units() {
  res.relu = dead_relu_report(*net, data.train, kReluScanLimit);
  const int scanned = std::min(kReluScanLimit, n_train);
  res.relu_samples = scanned;
  for (const auto& r : res.relu) {
    if (r.total > 0 && 2 * r.dead > r.total) {
      res.warnings.push_back(
          "layer " + std::to_string(r.layer) + " (relu): " + std::to_string(r.dead) + " of " +
          std::to_string(r.total) + " " + r.what + " are dead (never active on " +
          std::to_string(scanned) +
          " training samples); try --standardize, --init he, --clip-grad-norm 1");
    }
  }
}

TrainResult Session::Impl::finish() {
  progress->finish();
  if (completing) {
    // The final evaluation, as the run made it before its checkpoint.
    last_eval = handgrad::evaluate(*runner, *net, data.test);
    res.note = completion_note(o.out_dir, st.step, net->input_dims() == Dims{2});
  }
  res.steps = step;
  res.samples = st.samples;
  res.history = st.history;
  res.train_curve = st.curve;
  res.test_loss = last_eval.loss;
  res.test_accuracy = last_eval.accuracy;
  res.confusion = last_eval.confusion;
  res.train_seconds = st.train_seconds;
  res.loop_seconds = st.loop_seconds;
  res.samples_per_second = st.samples / std::max(1e-9, st.train_seconds);
  res.final_train_loss = st.history.empty() ? NAN : st.history.back().train_loss;
  if (!role.writes) return res;
  report_dead_units();
  const int k = net->num_classes();
  const LossDef& loss = runner->loss();
  const double chance = loss.chance(k);
  // Near the loss of guessing: stuck; far above it (6.9e33 was called
  // "stuck"): the steps are too large.
  if (std::isfinite(res.final_train_loss) && res.final_train_loss > 10 * chance) {
    res.warnings.push_back("the training loss " + fmt("%.4g", res.final_train_loss) +
                           " is far above " + fmt("%.4f", chance) + ", the loss of " +
                           loss.chance_what + " for K = " + std::to_string(k) +
                           ": training is unstable (try a smaller --lr or --clip-grad-norm)");
  } else if (std::isfinite(res.final_train_loss) && res.final_train_loss >= 0.9 * chance) {
    res.warnings.push_back("the training loss " + fmt("%.4f", res.final_train_loss) +
                           " is stuck near " + fmt("%.4f", chance) + ", the loss of " +
                           loss.chance_what + " for K = " + std::to_string(k) +
                           ": the network has not learned");
  }
  if (o.plots) {
    const std::string title = label + " on " + o.data.data + ", seed " + std::to_string(o.seed);
    write_run_plots(o.out_dir, res, title);
    write_run_boundary(
        o.out_dir, *net, data,
        title + " (init " + o.init +
            (net->input_norm().empty() ? ", raw inputs" : ", standardised") +
            (o.clip_grad_norm > 0 ? ", clip " + fmt("%g", o.clip_grad_norm) : ", no clipping") +
            ")");
  }
  res.wall_seconds = std::chrono::duration<double>(Clock::now() - wall_start).count();
  return res;
}

Session::Session(const TrainOptions& options, SessionRole role)
    : impl_(std::make_unique<Impl>(options, std::move(role))) {}
Session::~Session() = default;

bool Session::finished() const {
  return impl_->step >= impl_->total;
}
long Session::step() const {
  return impl_->step;
}
long Session::total_steps() const {
  return impl_->total;
}
long Session::steps_per_epoch() const {
  return impl_->spe;
}
long Session::samples() const {
  return impl_->st.samples;
}
double Session::train_seconds() const {
  return impl_->st.train_seconds;
}
double Session::last_loss() const {
  return impl_->last_loss;
}
void Session::advance() {
  if (finished()) throw Error("the run has finished: no step left");
  impl_->advance();
}
void Session::run(const std::atomic<bool>* stop) {
  while (!finished() && !(stop && stop->load())) {
    if (const int sig = stop_requested(); sig != 0) impl_->interrupted(sig);
    impl_->advance();
  }
}
EvalResult Session::evaluate() {
  return handgrad::evaluate(*impl_->runner, *impl_->net, impl_->data.test);
}
void Session::checkpoint() {
  impl_->checkpoint(impl_->step);
}
TrainResult Session::finish() {
  return impl_->finish();
}
void Session::set_gradient_fn(GradientFn f) {
  impl_->gradient_fn = std::move(f);
}
const TrainOptions& Session::options() const {
  return impl_->o;
}
const Network<float>& Session::network() const {
  return *impl_->net;
}
const TrainTest& Session::data() const {
  return impl_->data;
}
const std::vector<EvalRow>& Session::history() const {
  return impl_->st.history;
}
StepRunner& Session::runner() {
  return *impl_->runner;
}

}  // namespace handgrad
