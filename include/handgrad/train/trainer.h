#pragma once
// `handgrad train`: the training loop, its checkpoints and its outputs.
//
// Code: src/train/trainer.cpp (train() is a Session loop, session.h).
//
// A run folder holds model.safetensors and optimizer.safetensors (the
// optimizer's state per parameter, named as torch.optim names it:
// "<param>.momentum_buffer", "<param>.exp_avg", ...), both every
// --checkpoint-every epochs and at the end, state.json (step, epoch, the
// shuffling rng's state, the settings), metrics.csv and the loss / accuracy /
// confusion pictures.
//
// Batches: every epoch shuffles 0..N-1 with Rng::permutation and cuts it into
// batches of batch_size; the last, partial batch is kept (as PyTorch's
// DataLoader with drop_last=False), so an epoch is ceil(N / batch_size) steps.
// With batch_order the file's lines are the steps, in order, and nothing is
// shuffled.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "handgrad/data/data_source.h"
#include "handgrad/optim/optimizer.h"
#include "handgrad/optim/schedule.h"

namespace handgrad {

struct TrainOptions {
  std::string preset = "seed-cnn";  // used when arch is empty
  std::string arch;                 // --arch; input shape from `input` or the data
  std::string input;                // --input "1x28x28" (with --arch)
  DataArgs data;
  int train_limit = 0;  // > 0: use only the first N training samples
  int test_limit = 0;   // > 0: evaluate on the first N test samples
  int epochs = 2;
  bool epochs_given = false;  // --epochs was typed (it then overrides a resumed run's)
  long iterations = 0;        // > 0: stop after this many steps instead of `epochs`
  int batch_size = 8;
  std::string loss = "ce";   // ce | mse (the loss table, layers/loss.h)
  OptimizerOptions optim;    // --optimizer and its settings; sgd's by default
  ScheduleOptions schedule;  // --lr-schedule constant | cosine | step
  uint64_t seed = 0;
  int threads = 0;             // 0: default_threads()
  std::string out_dir;         // "" -> runs/<preset>-<UTC timestamp>
  std::string init = "torch";  // torch | he | xavier | a safetensors file
  std::string batch_order;     // file: one line per step, sample indices
  int checkpoint_every = 1;    // epochs between checkpoints (0: only at the end)
  long eval_every = 0;         // also evaluate every N steps (0: ~10 times per run)
  std::string resume;          // run folder to continue
  bool overwrite = false;      // a fresh run may replace the run files already in out_dir
  double clip_grad_norm = 0;   // > 0: clip the global L2 norm of the gradient
  bool standardize = false;    // fit per-feature mean/std on the training set
  bool normalize = false;      // MNIST's (x - 0.1307) / 0.3081 on every pixel
  bool quiet = false;          // no progress on stderr
  bool plots = true;           // write the PNG pictures
};

struct EvalRow {
  long step = 0;
  double epoch = 0;  // fractional: samples seen / training-set size
  double train_loss = 0, test_loss = 0, test_accuracy = 0, samples_per_second = 0;
  double lr = 0;  // the rate of the last step before this evaluation
};

struct ReluReport {
  int layer = 0;     // index in the network
  std::string what;  // "units" or "channels"
  long total = 0, dead = 0;
};

struct TrainResult {
  std::string out_dir, model_path, arch;
  std::string loss_title;  // "cross-entropy", "mean squared error"
  int num_classes = 0;
  long steps = 0, samples = 0;
  double test_loss = 0, test_accuracy = 0;
  double train_seconds = 0;  // time in training steps only
  double loop_seconds = 0;   // the epoch loop: steps, evaluations, checkpoints
  double wall_seconds = 0;   // the whole run: loading, the loop, reports, plots
  double samples_per_second = 0;
  double final_train_loss = 0;               // mean loss of the last epoch's steps
  std::vector<std::vector<long>> confusion;  // [true][predicted]
  std::vector<EvalRow> history;
  std::vector<std::array<double, 2>> train_curve;  // (epoch, mean loss) ~200 points
  std::vector<ReluReport> relu;
  int relu_samples = 0;               // training samples the dead-unit scan looked at
  std::vector<std::string> warnings;  // dead layers, loss stuck at log(K)
  std::string note;                   // --resume of a finished run: what it did (one line)
};

// Validates everything (UsageError naming the flag), trains, writes the run
// folder. A NaN or infinite loss throws Error naming the step; the last
// checkpoint written before it stays as it was.
TrainResult train(const TrainOptions& options);

// As torch.nn.utils.clip_grad_norm_: when the L2 norm of all n gradients
// together exceeds max_norm, scales them by max_norm / (norm + 1e-6).
// Returns the norm before clipping.
double clip_grad_norm(float* grads, size_t n, double max_norm);

// "runs/<preset or custom>-<UTC timestamp>", not yet existing.
std::string default_run_dir(const TrainOptions& options);

// The data a model was trained on, from its "training" metadata (so eval and
// boundary default to it); DataArgs{} when the model does not say.
DataArgs data_args_from_metadata(const std::map<std::string, std::string>& metadata);
// The loss a model was trained with ("ce" when the model does not say).
std::string loss_from_metadata(const std::map<std::string, std::string>& metadata);

}  // namespace handgrad
