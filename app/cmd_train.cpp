// handgrad train: trains a network and reports on the test set; --seeds N
// repeats it for N seeds and prints the spread of test accuracy.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.h"
#include "data_flags.h"
#include "handgrad/core/error.h"
#include "handgrad/core/files.h"
#include "handgrad/core/signals.h"
#include "handgrad/train/evaluate.h"
#include "handgrad/train/trainer.h"
#include "int_flags.h"
#include "optim_flags.h"
#include "preset_flags.h"
#include "train_mpi.h"

namespace handgrad::cli {
namespace {

struct Opts {
  TrainOptions t;
  ObjectiveFlags objective;
  int seeds = 1;
  bool json = false;
  bool seed_settings = false;
  MpiFlags mpi;
};

void print_report(const TrainResult& r) {
  long correct = 0, total = 0;
  for (size_t i = 0; i < r.confusion.size(); ++i) {
    for (size_t j = 0; j < r.confusion[i].size(); ++j) {
      total += r.confusion[i][j];
      if (i == j) correct += r.confusion[i][j];
    }
  }
  std::printf("test accuracy %.4f (%ld/%ld), test loss %.4f\n", r.test_accuracy, correct, total,
              r.test_loss);
  std::printf("confusion matrix (rows: true class, columns: predicted):\n%s",
              format_confusion(r.confusion).c_str());
  std::printf(
      "trained %ld steps, %ld samples: %.1f s in steps (%.0f samples/s), %.1f s with "
      "the evaluations and checkpoints\n",
      r.steps, r.samples, r.train_seconds, r.samples_per_second, r.loop_seconds);
  std::string relu;
  for (const auto& d : r.relu) {
    relu += (relu.empty() ? "" : ", ") + std::string("layer ") + std::to_string(d.layer) + " " +
            std::to_string(d.dead) + "/" + std::to_string(d.total) + " " + d.what;
  }
  if (!relu.empty()) {
    std::printf("dead ReLU units (never active on %d training samples): %s\n", r.relu_samples,
                relu.c_str());
  }
  for (const auto& w : r.warnings) std::fprintf(stderr, "handgrad: warning: %s\n", w.c_str());
  if (!r.note.empty()) std::fprintf(stderr, "handgrad: %s\n", r.note.c_str());
  std::printf("model: %s\n", r.model_path.c_str());
  // Last: the time the user waited (loading, loop, reports, plots).
  std::printf("wall time %.1f s\n", r.wall_seconds);
}

nlohmann::json result_json(const TrainResult& r) {
  nlohmann::json relu = nlohmann::json::array();
  for (const auto& d : r.relu) {
    relu.push_back({{"layer", d.layer}, {"what", d.what}, {"dead", d.dead}, {"total", d.total}});
  }
  return {{"test_accuracy", r.test_accuracy},
          {"test_loss", r.test_loss},
          {"train_seconds", r.train_seconds},
          {"loop_seconds", r.loop_seconds},
          {"wall_seconds", r.wall_seconds},
          {"samples_per_second", r.samples_per_second},
          {"steps", r.steps},
          {"model", r.model_path},
          {"out", r.out_dir},
          {"confusion", r.confusion},
          {"dead_relu", relu},
          {"warnings", r.warnings},
          {"world_size", 1}};
}

// Under mpirun: rank 0's report, with the job's shape and its exchange cost.
void print_mpi_report(const Opts& o, const TrainResult& r, const dist::DistStats& s) {
  print_report(r);
  std::printf(
      "mpi: %d ranks x %d thread(s), %d slices; per step (median): compute %.3f ms, gradient "
      "exchange %.3f ms (min %.3f ms), %.1f KB sent by rank 0\n",
      s.world_size, s.threads_per_rank, s.slices, 1e3 * s.compute_median, 1e3 * s.exchange_median,
      1e3 * s.exchange_min, s.bytes_sent_per_step / 1e3);
  if (!o.json) return;
  nlohmann::json j = result_json(r);
  j["world_size"] = s.world_size;
  j["mpi"] = {{"threads_per_rank", s.threads_per_rank},
              {"slices", s.slices},
              {"steps", s.steps},
              {"compute_seconds_median", s.compute_median},
              {"exchange_seconds_median", s.exchange_median},
              {"exchange_seconds_min", s.exchange_min},
              {"bytes_sent_per_step", s.bytes_sent_per_step}};
  std::printf("%s\n", j.dump().c_str());
}

// The files a run writes into its folder (checkpoint.cpp, outputs.cpp,
// boundary_output.cpp, the trainer's metrics.csv): none may be an input.
void refuse_overwriting_inputs(const TrainOptions& t) {
  const std::string dir = t.out_dir.empty() ? t.resume : t.out_dir;
  if (dir.empty()) return;  // a fresh runs/<name>-<time> folder
  std::vector<FileRole> outputs;
  for (const char* f : {"model.safetensors", "optimizer.safetensors", "state.json", "metrics.csv",
                        "loss.png", "accuracy.png", "confusion.png", "boundary.png"}) {
    outputs.push_back({"--out", dir + "/" + f});
  }
  std::vector<FileRole> inputs = {
      {"--data", t.data.data}, {"--test-data", t.data.test_data}, {"--batch-order", t.batch_order}};
  if (t.resume.empty()) inputs.push_back({"--init", t.init});
  handgrad::refuse_overwriting_inputs(inputs, outputs);
}

// SIGINT/SIGTERM end a run between steps with a checkpoint (session.h)
// while training; the default actions again once it is over.
struct StopHandlers {
  StopHandlers() { install_stop_handlers(); }
  ~StopHandlers() { remove_stop_handlers(); }
  StopHandlers(const StopHandlers&) = delete;
  StopHandlers& operator=(const StopHandlers&) = delete;
};

int run_one(const Opts& o) {
  if (launched_by_mpi()) {
    // No stop handlers: ranks that stopped at different steps would wait
    // for each other's gradients forever.
    return run_train_mpi(o.t, o.mpi, [&o](const TrainResult& r, const dist::DistStats& s) {
      print_mpi_report(o, r, s);
    });
  }
  const TrainResult r = [&] {
    const StopHandlers stop;
    return train(o.t);
  }();
  print_report(r);
  if (o.json) std::printf("%s\n", result_json(r).dump().c_str());
  return 0;
}

int run_seeds(const Opts& o) {
  if (!o.t.resume.empty()) throw UsageError("--seeds: cannot be combined with --resume");
  if (launched_by_mpi()) {
    if (dist::launched_rank() != 0) return kExitUsage;  // rank 0 says it
    throw UsageError("--seeds: not under mpirun (run the seeds one after another)");
  }
  const std::string base = o.t.out_dir.empty() ? default_run_dir(o.t) : o.t.out_dir;
  std::vector<TrainResult> runs;
  std::vector<double> acc;
  for (int i = 0; i < o.seeds; ++i) {
    TrainOptions t = o.t;
    t.seed = o.t.seed + static_cast<uint64_t>(i);
    t.out_dir = base + "/seed-" + std::to_string(t.seed);
    {
      const StopHandlers stop;
      runs.push_back(train(t));
    }
    acc.push_back(runs.back().test_accuracy);
    std::printf("seed %llu: test accuracy %.4f, test loss %.4f, %.1f s\n",
                static_cast<unsigned long long>(t.seed), runs.back().test_accuracy,
                runs.back().test_loss, runs.back().wall_seconds);
    for (const auto& w : runs.back().warnings) {
      std::fprintf(stderr, "handgrad: warning: seed %llu: %s\n",
                   static_cast<unsigned long long>(t.seed), w.c_str());
    }
    std::fflush(stdout);
  }
  std::vector<double> sorted = acc;
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  const double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  // "At chance": within 5 points of always guessing one of K classes.
  const double chance = 1.0 / std::max(1, runs.front().num_classes);
  const long at_chance =
      std::count_if(acc.begin(), acc.end(), [&](double a) { return a < chance + 0.05; });
  std::printf(
      "%zu seeds (%llu..%llu): test accuracy min %.4f, median %.4f, max %.4f; "
      "%ld at chance (< %.2f)\n",
      n, static_cast<unsigned long long>(o.t.seed),
      static_cast<unsigned long long>(o.t.seed + n - 1), sorted.front(), median, sorted.back(),
      at_chance, chance + 0.05);
  if (o.json) {
    nlohmann::json per = nlohmann::json::array();
    double secs = 0, samples = 0;
    for (size_t i = 0; i < runs.size(); ++i) {
      per.push_back({{"seed", o.t.seed + i},
                     {"test_accuracy", runs[i].test_accuracy},
                     {"test_loss", runs[i].test_loss},
                     {"model", runs[i].model_path}});
      secs += runs[i].train_seconds;
      samples += static_cast<double>(runs[i].samples);
    }
    const nlohmann::json j{{"test_accuracy", median},
                           {"test_accuracy_min", sorted.front()},
                           {"test_accuracy_median", median},
                           {"test_accuracy_max", sorted.back()},
                           {"at_chance", at_chance},
                           {"test_loss", runs.front().test_loss},
                           {"train_seconds", secs},
                           {"samples_per_second", samples / std::max(1e-9, secs)},
                           {"model", runs.front().model_path},
                           {"out", base},
                           {"seeds", per}};
    std::printf("%s\n", j.dump().c_str());
  }
  return 0;
}

const Register reg{
    {"train", "Train a network (default: the seed's CNN on MNIST, 2 epochs)", [](CLI::App& sub) {
       auto o = std::make_shared<Opts>();
       TrainOptions& t = o->t;
       sub.add_option("--preset", t.preset, "seed-cnn, seed-mlp or seed-2d")->capture_default_str();
       sub.add_option("--arch", t.arch, "architecture string instead of a preset")
           ->check(kNonEmptyArch);
       sub.add_option("--input", t.input, "input shape for --arch (default: the data's)");
       add_data_flags(sub, t.data);
       sub.add_option("--train-limit", t.train_limit, "use only the first N training samples")
           ->check(whole<int>(0));
       sub.add_option("--test-limit", t.test_limit, "evaluate on the first N test samples")
           ->check(whole<int>(0));
       auto* epochs = sub.add_option("--epochs", t.epochs, "passes over the training set")
                          ->check(whole<int>(1))
                          ->capture_default_str();
       sub.add_option("--iterations", t.iterations, "stop after N steps instead")
           ->check(whole<long>(1, kMaxIterations))
           ->excludes(epochs);
       sub.add_option("--batch-size", t.batch_size, "samples per step (last batch partial)")
           ->check(whole<int>(1))
           ->capture_default_str();
       add_objective_flags(sub, o->objective);
       sub.add_option("--seed", t.seed, "random seed (init and shuffling)")
           ->check(whole<uint64_t>())
           ->capture_default_str();
       sub.add_option("--seeds", o->seeds, "train seeds seed..seed+N-1, report the spread")
           ->check(whole<int>(1))
           ->capture_default_str();
       add_threads_option(sub, t.threads, "worker threads (default: all cores)");
       sub.add_option("--out", t.out_dir, "run folder (default: runs/<preset>-<time>)");
       sub.add_option("--init", t.init, "torch, he, xavier, or a .safetensors file to start from")
           ->capture_default_str();
       sub.add_option("--batch-order", t.batch_order,
                      "file: one line per step, the 0-based sample indices of its batch");
       sub.add_option("--checkpoint-every", t.checkpoint_every,
                      "write a checkpoint every K epochs and at the end (0: only at the end)")
           ->check(whole<int>(0));
       sub.add_option("--eval-every", t.eval_every,
                      "also evaluate every N steps (default: about 10 times per run)")
           ->check(whole<long>(1));
       sub.add_option("--resume", t.resume, "continue the run in this folder");
       sub.add_flag("--overwrite", t.overwrite,
                    "replace the run files already in --out (a finished or abandoned run)");
       sub.add_option("--clip-grad-norm", t.clip_grad_norm,
                      "clip the global gradient L2 norm to X (0 = off)");
       sub.add_flag("--standardize,!--no-standardize", t.standardize,
                    "standardise each input feature with the training set's mean and std "
                    "(seed-2d: on unless --no-standardize)");
       sub.add_flag("--seed-settings", o->seed_settings,
                    "seed-2d: the seed report's exact run (torch init, raw inputs, no "
                    "clipping) instead of the robust defaults");
       sub.add_flag("--normalize", t.normalize,
                    "MNIST's mean/std normalisation (x - 0.1307) / 0.3081, stored in the model");
       sub.add_flag("--quiet", t.quiet, "no progress on stderr");
       sub.add_flag("--json", o->json, "print a JSON summary as the last line of stdout");
       add_mpi_flags(sub, o->mpi);
       return [o, epochs, &sub] {
         o->t.epochs_given = epochs->count() > 0;
         o->t.data = resolve_data_flags(sub, o->t.data,
                                        o->t.resume.empty() ? DataFrom::kFlags : DataFrom::kResume);
         if (!o->t.resume.empty()) {
           std::vector<const char*> fixed = {
               "--preset",       "--arch",        "--input",
               "--batch-size",   "--seed",        "--threads",
               "--init",         "--batch-order", "--clip-grad-norm",
               "--standardize",  "--normalize",   "--train-limit",
               "--test-limit",   "--eval-every",  "--checkpoint-every",
               "--seed-settings"};
           fixed.insert(fixed.end(), kObjectiveFlags.begin(), kObjectiveFlags.end());
           for (const char* f : fixed) {
             if (sub.count(f) > 0) {
               throw UsageError(std::string(f) +
                                ": not with --resume, which continues with the "
                                "run's own settings (only --epochs, --iterations, --out, --quiet "
                                "and --json may change)");
             }
           }
         }
         if (o->t.overwrite && !o->t.resume.empty() && o->t.out_dir.empty()) {
           throw UsageError(
               "--overwrite: --resume continues the run in its own folder; to start "
               "afresh there, give --out " +
               o->t.resume + " --overwrite instead");
         }
         if (o->t.resume.empty()) {
           o->t.loss = o->objective.loss;
           o->t.optim = resolve_optimizer(sub, o->objective.optim);
           o->t.schedule = o->objective.schedule;
           apply_preset_defaults(o->t, sub, o->seed_settings);
         }
         if (o->seeds < 1) throw UsageError("--seeds: must be >= 1");
         refuse_overwriting_inputs(o->t);
         return o->seeds > 1 ? run_seeds(*o) : run_one(*o);
       };
     }}};

}  // namespace
}  // namespace handgrad::cli
