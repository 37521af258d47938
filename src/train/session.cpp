// The training session: setup (options, data, network, optimizer, run
// folder), one step at a time, and the final report. Every run of `handgrad
// train` is these three parts in order.
#include "handgrad/train/session.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "boundary_output.h"
#include "checkpoint.h"
#include "handgrad/core/cpu.h"
#include "handgrad/core/error.h"
#include "handgrad/core/files.h"
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
  if (o.threads < 0) throw FieldError("threads", "must be >= 1");
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

std::string utc_stamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return buf;
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
// length and where-to-write taken from the given ones.
TrainOptions resolve_options(const TrainOptions& given, TrainState& st) {
  if (given.resume.empty()) return given;
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
  TrainState st;
  TrainOptions o;
  bool resuming;
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
  GradientFn gradient_fn;
  TrainResult res;
  long last_ckpt = -1;
  EvalResult last_eval;
  double since_eval_seconds = 0, curve_sum = 0, last_loss = NAN;
  long since_eval_samples = 0, curve_count = 0, step = 0, in_epoch = 0;
  std::vector<float> xb;
  std::vector<int> yb, perm;

  Impl(const TrainOptions& given, SessionRole r);
  void load_run_data();
  void build_network();
  void schedule(const TrainOptions& given);
  void init_weights();
  void announce();
  void advance();
  void gather(const int*& idx, int& n);
  void bookkeep(double loss, int n, double dt);
  void diverged(double loss);
  void do_eval(long at);
  void checkpoint(long at);
  TrainResult finish();
  void report_dead_units();
};

Session::Impl::Impl(const TrainOptions& given, SessionRole r)
    : role(std::move(r)),
      o(resolve_options(given, st)),
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
  if (role.writes) make_dirs(o.out_dir);
  extra = {{"training", settings_json(o)}, {"data", o.data.data}};
  if (resuming) rng.set_state(st.rng);
  epoch_rng = rng.state();
  step = st.step;
  in_epoch = step % spe;
  progress.emplace(o.quiet, total, st.step);
  announce();
  res.out_dir = o.out_dir;
  res.model_path = o.out_dir + "/model.safetensors";
  res.arch = net->arch();
  res.num_classes = net->num_classes();
  res.loss_title = runner->loss().title;
  last_ckpt = resuming ? st.step : -1;
  // loss.png's training curve: the mean loss of every `curve_every` steps.
  curve_every = std::max(1L, total / 200);
}

void Session::Impl::load_run_data() {
  data = load_data(o.data);
  truncate(data.train, o.train_limit);
  truncate(data.test, o.test_limit);
  if (data.train.size() == 0) throw Error(data.train.name + ": no training samples");
  n_train = data.train.size();
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
  spe =
      order.empty() ? (n_train + o.batch_size - 1) / o.batch_size : static_cast<long>(order.size());
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
  if (resuming && st.step >= total) {
    throw FieldError("resume", given.resume + " has already trained " + std::to_string(st.step) +
                                   " steps; give a larger --epochs or --iterations");
  }
}

// Fresh weights (a scheme or a file) and the input step, or a checkpoint's.
void Session::Impl::init_weights() {
  if (resuming) {
    const auto meta = load_checkpoint_weights(o.resume, st.step, *net, *opt);
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
  if (!std::isfinite(loss)) diverged(loss);
  if (o.clip_grad_norm > 0) clip_grad_norm(runner->grads(), net->num_params(), o.clip_grad_norm);
  opt->step(net->params(), runner->grads(), lr_at->at(step));
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

void Session::Impl::diverged(double loss) {
  progress->finish();
  if (role.writes && !st.history.empty()) {
    write_metrics_csv(o.out_dir + "/metrics.csv", st.history);
  }
  throw Error("training diverged: the loss is " +
              std::string(std::isnan(loss) ? "NaN" : "infinite") + " at step " +
              std::to_string(step + 1) + " (epoch " + std::to_string(step / spe + 1) +
              "); stopped (try a smaller --lr or --clip-grad-norm); " +
              (last_ckpt >= 0 ? "kept the last good checkpoint " + res.model_path + " (step " +
                                    std::to_string(last_ckpt) + ")"
                              : "no checkpoint had been written yet"));
}

void Session::Impl::do_eval(long at) {
  last_eval = handgrad::evaluate(*runner, *net, data.test);
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
  write_metrics_csv(o.out_dir + "/metrics.csv", st.history);
  progress->message("step " + std::to_string(at) + " (epoch " + fmt("%.2f", row.epoch) +
                    "): train loss " + fmt("%.4f", row.train_loss) + ", test loss " +
                    fmt("%.4f", row.test_loss) + ", test accuracy " +
                    fmt("%.4f", row.test_accuracy));
}

void Session::Impl::checkpoint(long at) {
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
  res.steps = step;
  res.samples = st.samples;
  res.history = st.history;
  res.train_curve = st.curve;
  res.test_loss = last_eval.loss;
  res.test_accuracy = last_eval.accuracy;
  res.confusion = last_eval.confusion;
  res.train_seconds = st.train_seconds;
  res.samples_per_second = st.samples / std::max(1e-9, st.train_seconds);
  res.final_train_loss = st.history.empty() ? NAN : st.history.back().train_loss;
  if (!role.writes) return res;
  report_dead_units();
  const int k = net->num_classes();
  const LossDef& loss = runner->loss();
  const double chance = loss.chance(k);
  if (std::isfinite(res.final_train_loss) && res.final_train_loss >= 0.9 * chance) {
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
  while (!finished() && !(stop && stop->load())) impl_->advance();
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
