// The training loop: batches, SGD steps through the StepRunner, evaluations,
// checkpoints, divergence checks; the run folder is written as it goes.
#include "handgrad/trainer.h"

#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "batch_order.h"
#include "boundary_output.h"
#include "checkpoint.h"
#include "handgrad/arch.h"
#include "handgrad/cpu.h"
#include "handgrad/error.h"
#include "handgrad/evaluate.h"
#include "handgrad/io.h"
#include "handgrad/safetensors.h"
#include "handgrad/standardize.h"
#include "handgrad/step.h"
#include "outputs.h"
#include "progress.h"
#include "relu_report.h"

namespace handgrad {

namespace {

using Clock = std::chrono::steady_clock;

// Dead-unit scan cost is a forward pass; cap it for large training sets.
constexpr int kReluScanLimit = 10000;

void validate_options(const TrainOptions& o) {
  validate(o.sgd);
  if (o.batch_size < 1) {
    throw UsageError("--batch-size: must be >= 1, got " + std::to_string(o.batch_size));
  }
  if (o.epochs < 1) throw UsageError("--epochs: must be >= 1, got " + std::to_string(o.epochs));
  if (o.iterations < 0) {
    throw UsageError("--iterations: must be >= 1, got " + std::to_string(o.iterations));
  }
  if (o.threads < 0) throw UsageError("--threads: must be >= 1");
  if (o.eval_every < 0) throw UsageError("--eval-every: must be >= 0");
  if (o.checkpoint_every < 0) throw UsageError("--checkpoint-every: must be >= 0");
  if (!(o.clip_grad_norm >= 0) || !std::isfinite(o.clip_grad_norm)) {
    throw UsageError("--clip-grad-norm: must be a number > 0 (0 = off)");
  }
  if (o.train_limit < 0 || o.test_limit < 0) {
    throw UsageError("--train-limit/--test-limit: must be >= 0 (0 = all)");
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

std::string unique_run_dir(const std::string& label) {
  const std::string base = "runs/" + label + "-" + utc_stamp();
  std::string dir = base;
  for (int i = 2; std::filesystem::exists(dir); ++i) dir = base + "-" + std::to_string(i);
  return dir;
}

void init_params(Network<float>& net, const TrainOptions& o) {
  if (o.init == "torch" || o.init == "he" || o.init == "xavier") {
    net.init(o.seed, parse_init(o.init));
    return;
  }
  struct stat sb {};
  if (stat(o.init.c_str(), &sb) != 0) {
    throw UsageError("--init: '" + o.init +
                     "' is neither torch, he, xavier nor an existing safetensors file");
  }
  load_params(read_safetensors(o.init), net, o.init);
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

}  // namespace

double clip_grad_norm(float* g, size_t n, double max_norm) {
  double sq = 0;
  for (size_t i = 0; i < n; ++i) sq += static_cast<double>(g[i]) * g[i];
  const double norm = std::sqrt(sq);
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1) {
    const auto c = static_cast<float>(coef);
    for (size_t i = 0; i < n; ++i) g[i] *= c;
  }
  return norm;
}

std::string default_run_dir(const TrainOptions& o) {
  return unique_run_dir(o.arch.empty() ? o.preset : "custom");
}

DataArgs data_args_from_metadata(const std::map<std::string, std::string>& meta) {
  const auto it = meta.find("training");
  if (it == meta.end()) return {};
  try {
    return settings_from_json(it->second, "model metadata").data;
  } catch (const Error&) {
    return {};  // written by another tool: fall back to the flags' defaults
  }
}

TrainResult train(const TrainOptions& given) {
  const auto wall_start = Clock::now();
  TrainOptions o = given;
  TrainState st;
  const bool resuming = !given.resume.empty();
  if (resuming) {
    Checkpoint c = read_checkpoint_state(given.resume);
    o = c.options;
    st = std::move(c.state);
    if (given.iterations > 0) {
      o.iterations = given.iterations;
    } else if (given.epochs_given) {
      o.epochs = given.epochs;
      o.iterations = 0;
    }
    o.out_dir = given.out_dir.empty() ? given.resume : given.out_dir;
    o.quiet = given.quiet;
    o.plots = given.plots;
  }
  validate_options(o);
  if (o.threads == 0) o.threads = default_threads();

  TrainTest data = load_data(o.data);
  truncate(data.train, o.train_limit);
  truncate(data.test, o.test_limit);
  if (data.train.size() == 0) throw Error(data.train.name + ": no training samples");

  std::string arch = o.arch, label = o.arch.empty() ? o.preset : "custom";
  Dims input = data.train.sample_dims;
  if (o.arch.empty()) {
    const Preset& p = find_preset(o.preset);
    arch = p.arch;
    input = p.input;
  }
  if (!o.input.empty()) input = parse_dims(o.input, "--input");
  Network<float> net(arch, input);
  check_data_fits(net, data.train, "--data " + data.train.name);
  check_data_fits(net, data.test, "--data " + data.test.name);
  const int k = net.num_classes();

  std::vector<std::vector<int>> order;
  if (!o.batch_order.empty()) order = read_batch_order(o.batch_order, data.train.size());
  const int n_train = data.train.size();
  // Steps per epoch: ceil(N / B), the last batch partial; a batch-order file is one epoch.
  const long spe = order.empty() ? (long{n_train} + o.batch_size - 1) / o.batch_size
                                 : static_cast<long>(order.size());
  long total = o.iterations > 0 ? o.iterations : o.epochs * spe;
  if (!order.empty()) {
    total = o.iterations > 0 ? o.iterations : spe;
    if (total > spe) {
      throw UsageError("--iterations: " + std::to_string(total) + " steps but " + o.batch_order +
                       " has only " + std::to_string(spe) + " lines");
    }
  }
  const int epochs_shown = static_cast<int>((total + spe - 1) / spe);
  // Besides every epoch end, evaluate every --eval-every steps; by default
  // about 10 times per run, so a 2-epoch run still draws a curve.
  const long eval_every = o.eval_every > 0 ? o.eval_every : std::max(1L, (total + 9) / 10);
  if (resuming && st.step >= total) {
    throw UsageError("--resume: " + given.resume + " has already trained " +
                     std::to_string(st.step) + " steps; give a larger --epochs or --iterations");
  }

  o.out_dir = o.out_dir.empty() ? unique_run_dir(label) : o.out_dir;

  Sgd<float> sgd(net.num_params(), o.sgd);
  Standardizer stdz;
  if (resuming) {
    const auto meta = load_checkpoint_weights(given.resume, st.step, net, sgd);
    stdz = standardizer_from_metadata(meta, given.resume + "/model.safetensors");
  } else {
    init_params(net, o);
    if (o.standardize && o.normalize) {
      throw UsageError("--normalize: give --standardize or --normalize, not both");
    }
    if (o.standardize) stdz = fit_standardizer(data.train);
    if (o.normalize) {
      // The usual MNIST constants (torchvision's example), stored like a
      // fitted standardisation so eval and predict apply them too.
      stdz.mean.assign(data.train.sample_size(), 0.1307f);
      stdz.std.assign(data.train.sample_size(), 0.3081f);
    }
  }
  if (!stdz.empty()) {
    stdz.apply(data.train.x.data(), static_cast<size_t>(data.train.size()));
    stdz.apply(data.test.x.data(), static_cast<size_t>(data.test.size()));
  }
  // Only now that every input (data, --init, checkpoint) has loaded: a run
  // refused for bad input leaves no folder behind.
  make_dirs(o.out_dir);

  std::map<std::string, std::string> extra = {{"training", settings_json(o)},
                                              {"data", o.data.data}};
  if (!stdz.empty()) extra["standardize"] = stdz.to_json();

  // The shuffling rng is separate from the init rng (seeded differently) so
  // that the data order does not mirror the weights' random draws.
  Rng rng(o.seed ^ 0xD1B54A32D192ED03ULL);
  if (resuming) rng.set_state(st.rng);

  StepRunner runner(net, o.threads);
  Progress progress(o.quiet, total, st.step);
  if (!o.quiet) {
    progress.message(
        "train: " + (o.arch.empty() ? o.preset + " (" + arch + ")" : arch) + " on " +
        data.train.name + " (" + std::to_string(n_train) + " samples, test " +
        std::to_string(data.test.size()) + "), " + std::to_string(total) + " steps of batch " +
        (order.empty() ? std::to_string(o.batch_size) : "from " + o.batch_order) + ", lr " +
        fmt("%g", o.sgd.lr) + ", momentum " + fmt("%g", o.sgd.momentum) + ", init " + o.init +
        (o.standardize ? ", standardised inputs" : "") +
        (o.clip_grad_norm > 0 ? ", clip-grad-norm " + fmt("%g", o.clip_grad_norm) : "") +
        ", seed " + std::to_string(o.seed) + ", " + std::to_string(o.threads) + " thread(s) -> " +
        o.out_dir + (resuming ? " (resumed at step " + std::to_string(st.step) + ")" : ""));
  }

  TrainResult res;
  if (const std::string w = single_class_warning(data.train); !w.empty()) res.warnings.push_back(w);
  res.out_dir = o.out_dir;
  res.model_path = o.out_dir + "/model.safetensors";
  res.arch = net.arch();
  res.num_classes = k;
  long last_ckpt = resuming ? st.step : -1;
  EvalResult last_eval;
  double since_eval_seconds = 0;
  long since_eval_samples = 0;

  auto do_eval = [&](long step) {
    last_eval = evaluate(runner, net, data.test);
    EvalRow row;
    row.step = step;
    row.epoch = static_cast<double>(st.samples) / n_train;
    row.train_loss = st.eval_loss_count > 0 ? st.eval_loss_sum / st.eval_loss_count : NAN;
    row.test_loss = last_eval.loss;
    row.test_accuracy = last_eval.accuracy;
    row.samples_per_second = since_eval_seconds > 0 ? since_eval_samples / since_eval_seconds : 0;
    st.history.push_back(row);
    st.eval_loss_sum = 0;
    st.eval_loss_count = 0;
    since_eval_seconds = 0;
    since_eval_samples = 0;
    write_metrics_csv(o.out_dir + "/metrics.csv", st.history);
    progress.message("step " + std::to_string(step) + " (epoch " + fmt("%.2f", row.epoch) +
                     "): train loss " + fmt("%.4f", row.train_loss) + ", test loss " +
                     fmt("%.4f", row.test_loss) + ", test accuracy " +
                     fmt("%.4f", row.test_accuracy));
  };
  std::vector<uint64_t> epoch_rng = rng.state();
  auto checkpoint = [&](long step, long in_epoch) {
    st.step = step;
    st.rng = in_epoch == 0 ? rng.state() : epoch_rng;
    st.finished = step >= total;
    extra["step"] = std::to_string(step);
    write_checkpoint(o.out_dir, net, sgd, o, st, extra);
    last_ckpt = step;
  };

  // loss.png's training curve: the mean loss of every `curve_every` steps.
  const long curve_every = std::max(1L, total / 200);
  double curve_sum = 0;
  long curve_count = 0;
  const size_t ss = data.train.sample_size();
  std::vector<float> xb;
  std::vector<int> yb, perm;
  long step = st.step;
  long in_epoch = step % spe;
  while (step < total) {
    if (order.empty() && (in_epoch == 0 || perm.empty())) {
      epoch_rng = rng.state();
      perm = rng.permutation(n_train);
    }
    const int* idx;
    int n;
    if (order.empty()) {
      idx = perm.data() + in_epoch * o.batch_size;
      n = static_cast<int>(std::min<long>(o.batch_size, n_train - in_epoch * o.batch_size));
    } else {
      idx = order[static_cast<size_t>(step)].data();
      n = static_cast<int>(order[static_cast<size_t>(step)].size());
    }
    const auto t0 = Clock::now();
    xb.resize(static_cast<size_t>(n) * ss);
    yb.resize(static_cast<size_t>(n));
    gather_batch(data.train, idx, n, xb.data(), yb.data());
    const double loss = runner.loss_and_grad(xb.data(), yb.data(), n);
    if (!std::isfinite(loss)) {
      progress.finish();
      if (!st.history.empty()) write_metrics_csv(o.out_dir + "/metrics.csv", st.history);
      throw Error("training diverged: the loss is " +
                  std::string(std::isnan(loss) ? "NaN" : "infinite") + " at step " +
                  std::to_string(step + 1) + " (epoch " + std::to_string(step / spe + 1) +
                  "); stopped (try a smaller --lr or --clip-grad-norm); " +
                  (last_ckpt >= 0 ? "kept the last good checkpoint " + res.model_path + " (step " +
                                        std::to_string(last_ckpt) + ")"
                                  : "no checkpoint had been written yet"));
    }
    if (o.clip_grad_norm > 0) clip_grad_norm(runner.grads(), net.num_params(), o.clip_grad_norm);
    sgd.step(net.params(), runner.grads());
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
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
    progress.update(step, static_cast<int>((step - 1) / spe) + 1, epochs_shown,
                    st.epoch_loss_sum / st.epoch_loss_count,
                    st.samples / std::max(1e-9, st.train_seconds));
    const bool epoch_end = in_epoch == spe;
    if (epoch_end) {
      in_epoch = 0;
      st.epoch_loss_sum = 0;
      st.epoch_loss_count = 0;
    }
    // A checkpoint (and an evaluation with it) every --checkpoint-every
    // epochs and at the end: 2-D runs have 100 tiny epochs, and fsync'ing
    // three files after each would take longer than the training.
    const bool save = step == total || (epoch_end && o.checkpoint_every > 0 &&
                                        (step / spe) % o.checkpoint_every == 0);
    if (save || step % eval_every == 0) do_eval(step);
    if (save) checkpoint(step, in_epoch);
  }
  progress.finish();

  res.steps = step;
  res.samples = st.samples;
  res.history = st.history;
  res.train_curve = st.curve;
  res.test_loss = last_eval.loss;
  res.test_accuracy = last_eval.accuracy;
  res.confusion = last_eval.confusion;
  res.train_seconds = st.train_seconds;
  res.samples_per_second = st.samples / std::max(1e-9, st.train_seconds);
  res.final_train_loss = st.history.back().train_loss;

  res.relu = dead_relu_report(net, data.train, kReluScanLimit);
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
  const double chance = std::log(static_cast<double>(k));
  if (std::isfinite(res.final_train_loss) && res.final_train_loss >= 0.9 * chance) {
    res.warnings.push_back("the training loss " + fmt("%.4f", res.final_train_loss) +
                           " is stuck near log(" + std::to_string(k) +
                           ") = " + fmt("%.4f", chance) +
                           ", the loss of guessing uniformly: the network has not learned");
  }
  if (o.plots) {
    write_run_plots(o.out_dir, res,
                    label + " on " + o.data.data + ", seed " + std::to_string(o.seed));
    write_run_boundary(
        o.out_dir, net, stdz, data,
        label + " on " + o.data.data + ", seed " + std::to_string(o.seed) + " (init " + o.init +
            (stdz.empty() ? ", raw inputs" : ", standardised") +
            (o.clip_grad_norm > 0 ? ", clip " + fmt("%g", o.clip_grad_norm) : ", no clipping") +
            ")");
  }
  res.wall_seconds = std::chrono::duration<double>(Clock::now() - wall_start).count();
  return res;
}

}  // namespace handgrad
