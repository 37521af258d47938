#pragma once
// Checkpoints of a run folder: model.safetensors (parameters + metadata),
// optimizer.safetensors (the optimizer's state, optimizer_state.h) and
// state.json (where the run is, the shuffling rng, the settings, the
// metrics so far). Each is written atomically; state.json goes last and all
// three carry the step, so a resume never mixes two checkpoints.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "handgrad/model/network.h"
#include "handgrad/optim/optimizer.h"
#include "handgrad/train/trainer.h"

namespace handgrad {

struct TrainState {
  long step = 0;              // completed steps
  long samples = 0;           // samples trained on
  std::vector<uint64_t> rng;  // shuffling rng at the start of the epoch holding `step`
  double train_seconds = 0;   // time in steps so far
  double loop_seconds = 0;    // time in the epoch loop so far (steps, evaluations, checkpoints)
  double epoch_loss_sum = 0;  // of the current epoch's steps
  long epoch_loss_count = 0;
  double eval_loss_sum = 0;  // since the last evaluation row
  long eval_loss_count = 0;
  std::vector<EvalRow> history;
  std::vector<std::array<double, 2>> curve;  // (epoch, mean train loss) for loss.png
  bool finished = false;
  // What ties the folder's files together and to the data (version 2; empty
  // in older states, which are then not checked): run_id() below, the
  // content hashes of the training and test sets, the kernel path.
  std::string run_id, train_hash, test_hash, kernels;
};

// The run's identity: a hash of everything that decides its parameters
// (the settings except the run's length, the data's content hashes). Two
// runs with the same id write the same bytes at every step, so files of two
// runs can only mix when their ids differ.
std::string run_id(const TrainOptions& o, const std::string& train_hash,
                   const std::string& test_hash);

// The settings that define a run (not where it writes or how it talks).
std::string settings_json(const TrainOptions& o);
TrainOptions settings_from_json(const std::string& json, const std::string& where);

// Writes model, optimizer and state, in that order.
void write_checkpoint(const std::string& dir, const Network<float>& net, Optimizer<float>& opt,
                      const TrainOptions& o, const TrainState& st,
                      const std::map<std::string, std::string>& model_extra);

struct Checkpoint {
  TrainOptions options;
  TrainState state;
};
// Reads DIR/state.json. Throws Error naming the file.
Checkpoint read_checkpoint_state(const std::string& dir);
// Loads DIR/model.safetensors into net and the optimizer's state into opt,
// checking both were written at st.step by run st.run_id (or their .prev
// copies were). Returns the model's metadata.
std::map<std::string, std::string> load_checkpoint_weights(const std::string& dir,
                                                           const TrainState& st,
                                                           Network<float>& net,
                                                           Optimizer<float>& opt);

}  // namespace handgrad
