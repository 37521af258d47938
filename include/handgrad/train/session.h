#pragma once
// Training one step at a time: what `handgrad train`, the lab and the
// distributed runner all drive. Code: src/train/session.cpp.
//
//   Session s(options);              // setup: data, network, optimizer, run folder
//   while (!s.finished()) s.advance();  // one optimizer step (+ evaluation, checkpoint)
//   TrainResult r = s.finish();      // report: dead units, warnings, pictures
//
// train(options) (trainer.h) is exactly that loop. Same options and seed,
// same thread count: bit-identical models, however the loop is driven.
#include <atomic>
#include <functional>
#include <memory>

#include "handgrad/data/data_source.h"
#include "handgrad/model/network.h"
#include "handgrad/train/evaluate.h"
#include "handgrad/train/step_runner.h"
#include "handgrad/train/trainer.h"

namespace handgrad {

// How a session takes part in a run spread over several processes
// (src/dist); the defaults are a run of its own.
struct SessionRole {
  // false: computes the steps only; writes nothing (no run folder, metrics,
  // checkpoints or pictures) and evaluates nothing (a distributed run's
  // ranks other than 0).
  bool writes = true;
  // > 0: the step runner's threads, instead of options.threads (which a
  // GradientFn may read as how many slices to cut a batch into).
  int runner_threads = 0;
  // Called once every input has loaded, before the run folder is made; may
  // throw to refuse the run (a distributed run agrees there that every
  // rank has loaded).
  std::function<void()> ready;
};

class Session {
 public:
  // Validates everything (FieldError naming the setting), loads the data,
  // builds and initialises (or resumes) the network and the optimizer.
  // Creates the run folder only once every input has loaded.
  explicit Session(const TrainOptions& options, SessionRole role = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  bool finished() const;
  long step() const;         // steps done
  long total_steps() const;  // steps the run will take
  long steps_per_epoch() const;
  long samples() const;          // training samples the steps so far have seen
  double train_seconds() const;  // time spent in steps so far (evaluations excluded)
  double last_loss() const;      // the last step's mean loss (NaN before the first)

  // One optimizer step, then the evaluation and checkpoint due after it.
  // Throws Error naming the step when the loss stops being finite (the last
  // checkpoint stays as it was).
  void advance();
  // Steps until finished() or *stop becomes true (checked between steps).
  void run(const std::atomic<bool>* stop = nullptr);
  // The test-set evaluation the loop records, on demand.
  EvalResult evaluate();
  // Writes a checkpoint of the current step now, also mid-epoch (what a
  // stop before the end needs): --resume continues from it to exactly the
  // result of an uninterrupted run, optimizer state and schedule included.
  void checkpoint();
  // The report: dead units, warnings, pictures, the result. Once, at the end.
  TrainResult finish();

  // Replaces how a step's gradient is computed (a distributed runner sums
  // the slices of several processes here). f(x, labels, n) must assign the
  // batch-mean gradient to runner().grads() and return the mean loss.
  using GradientFn = std::function<double(const float* x, const int* labels, int n)>;
  void set_gradient_fn(GradientFn f);

  const TrainOptions& options() const;  // as resolved (a resumed run's own)
  const Network<float>& network() const;
  const TrainTest& data() const;
  const std::vector<EvalRow>& history() const;
  StepRunner& runner();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace handgrad
