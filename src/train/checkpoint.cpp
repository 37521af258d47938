#include "checkpoint.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "handgrad/core/error.h"
#include "handgrad/core/files.h"
#include "handgrad/core/hash64.h"
#include "handgrad/model/model_file.h"
#include "optimizer_state.h"

namespace handgrad {

using nlohmann::json;

namespace {

// The one list of training settings a checkpoint records: settings() writes
// it, settings_from_json() reads it back. f(name, field, added_later): fields
// added after version 1 keep their default when an older state lacks them.
template <class Options, class F>
void for_each_setting(Options& o, F&& f) {
  auto& d = o.data;
  f("preset", o.preset, false);
  f("arch", o.arch, false);
  f("input", o.input, false);
  f("data", d.data, false);
  f("data_dir", d.data_dir, false);
  f("test_data", d.test_data, false);
  f("n", d.n, false);
  f("noise", d.noise, false);
  f("data_seed", d.seed, false);
  f("test_fraction", d.test_fraction, false);
  f("train_limit", o.train_limit, false);
  f("test_limit", o.test_limit, false);
  f("epochs", o.epochs, false);
  f("iterations", o.iterations, false);
  f("batch_size", o.batch_size, false);
  f("lr", o.optim.lr, false);
  f("momentum", o.optim.momentum, false);
  f("weight_decay", o.optim.weight_decay, false);
  f("nesterov", o.optim.nesterov, false);
  f("seed", o.seed, false);
  f("threads", o.threads, false);
  f("init", o.init, false);
  f("batch_order", o.batch_order, false);
  f("eval_every", o.eval_every, false);
  f("checkpoint_every", o.checkpoint_every, true);
  f("clip_grad_norm", o.clip_grad_norm, false);
  f("standardize", o.standardize, false);
  f("normalize", o.normalize, true);
  f("loss", o.loss, true);
  f("optimizer", o.optim.optimizer, true);
  f("beta1", o.optim.beta1, true);
  f("beta2", o.optim.beta2, true);
  f("eps", o.optim.eps, true);
  f("alpha", o.optim.alpha, true);
  f("lr_schedule", o.schedule.lr_schedule, true);
  f("lr_gamma", o.schedule.lr_gamma, true);
  f("lr_step_epochs", o.schedule.lr_step_epochs, true);
}

json settings(const TrainOptions& o) {
  json j = json::object();
  for_each_setting(o, [&](const char* name, const auto& field, bool) { j[name] = field; });
  return j;
}

json row_json(const EvalRow& r) {
  return json{r.step, r.epoch, r.train_loss, r.test_loss, r.test_accuracy, r.samples_per_second,
              r.lr};
}

}  // namespace

std::string settings_json(const TrainOptions& o) {
  return settings(o).dump();
}

std::string run_id(const TrainOptions& o, const std::string& train_hash,
                   const std::string& test_hash) {
  TrainOptions defining = o;
  defining.epochs = 0;  // a resume may lengthen the run
  defining.iterations = 0;
  const std::string s = settings(defining).dump() + "|" + train_hash + "|" + test_hash;
  return hex64(xxh64(s.data(), s.size()));
}

TrainOptions settings_from_json(const std::string& text, const std::string& where) {
  TrainOptions o;
  try {
    const json j = json::parse(text);
    for_each_setting(o, [&](const char* name, auto& field, bool added_later) {
      if (added_later && !j.contains(name)) return;
      j.at(name).get_to(field);
    });
  } catch (const json::exception& e) {
    throw Error(where + ": bad training settings (" + std::string(e.what()) + ")");
  }
  return o;
}

namespace {
// A checkpoint is three files renamed one after another, state.json last: it
// is the commit record. Until it is replaced, the model and optimizer files
// it describes stay reachable as "<file>.prev" (hard links made before new
// files are renamed over them), so a kill between the renames loses nothing:
// a resume takes whichever copy carries state.json's step.
void keep_previous(const std::string& path) {
  const std::string prev = path + ".prev";
  ::unlink(prev.c_str());
  if (::link(path.c_str(), prev.c_str()) == 0 || errno == ENOENT) return;
  write_file_atomic(prev, read_file(path));  // no hard links here: copy
}

long step_of(const SafeTensors& st) {
  const auto it = st.metadata.find("step");
  return it == st.metadata.end() ? -1 : std::atol(it->second.c_str());
}

std::string id_of(const SafeTensors& st) {
  const auto it = st.metadata.find("run_id");
  return it == st.metadata.end() ? "" : it->second;
}

// `path` as written at st.step by run st.run_id, or its .prev copy if a
// checkpoint that never committed has already replaced it. A state without
// a run id (version 1) checks the step only.
SafeTensors read_at_step(const std::string& path, const TrainState& st) {
  std::string other;  // a file of another run, for the message
  auto matches = [&](const SafeTensors& f, const std::string& name) {
    if (!st.run_id.empty() && id_of(f) != st.run_id) {
      if (other.empty()) {
        other = name + ": written by another run (run id " +
                (id_of(f).empty() ? std::string("none") : id_of(f)) + " at step " +
                std::to_string(step_of(f));
      }
      return false;
    }
    return step_of(f) == st.step;
  };
  SafeTensors f = read_safetensors(path);
  if (matches(f, path)) return f;
  std::error_code ec;
  if (std::filesystem::exists(path + ".prev", ec)) {
    SafeTensors prev = read_safetensors(path + ".prev");
    if (matches(prev, path + ".prev")) return prev;
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (!other.empty()) {
    throw Error(other + "; " + dir + "/state.json is run " + st.run_id + " at step " +
                std::to_string(st.step) +
                "): the folder mixes two runs' files; restore this run's own files, or start "
                "afresh with --overwrite");
  }
  throw Error(path + ": was not written at step " + std::to_string(st.step) +
              " like state.json; the checkpoint is inconsistent");
}
}  // namespace

void write_checkpoint(const std::string& dir, const Network<float>& net, Optimizer<float>& opt,
                      const TrainOptions& o, const TrainState& st,
                      const std::map<std::string, std::string>& model_extra) {
  // (Each write removes its own file's temporaries left by a killed run.)
  keep_previous(dir + "/model.safetensors");
  keep_previous(dir + "/optimizer.safetensors");
  save_model(dir + "/model.safetensors", net, model_extra);
  SafeTensors opt_file = optimizer_tensors(net, opt, st.step);
  opt_file.metadata["run_id"] = st.run_id;
  write_safetensors(dir + "/optimizer.safetensors", opt_file);

  json hist = json::array();
  for (const auto& r : st.history) hist.push_back(row_json(r));
  const json j{{"format", "handgrad-train-state"},
               {"version", 2},
               {"run_id", st.run_id},
               {"data_hash", {{"train", st.train_hash}, {"test", st.test_hash}}},
               {"kernels", st.kernels},
               {"step", st.step},
               {"samples", st.samples},
               {"rng", st.rng},
               {"train_seconds", st.train_seconds},
               {"loop_seconds", st.loop_seconds},
               {"epoch_loss_sum", st.epoch_loss_sum},
               {"epoch_loss_count", st.epoch_loss_count},
               {"eval_loss_sum", st.eval_loss_sum},
               {"eval_loss_count", st.eval_loss_count},
               {"finished", st.finished},
               {"history", hist},
               {"curve", st.curve},
               {"settings", settings(o)}};
  write_file_atomic(dir + "/state.json", j.dump(1) + "\n");
  // Committed: the previous checkpoint is no longer needed.
  ::unlink((dir + "/model.safetensors.prev").c_str());
  ::unlink((dir + "/optimizer.safetensors.prev").c_str());
}

Checkpoint read_checkpoint_state(const std::string& dir) {
  const std::string path = dir + "/state.json";
  Checkpoint c;
  json j;
  try {
    j = json::parse(read_file(path, size_t(1) << 28));
  } catch (const json::exception& e) {
    throw Error(path + ": not valid JSON (" + std::string(e.what()) + ")");
  }
  try {
    if (j.at("format") != "handgrad-train-state") throw Error(path + ": not a handgrad state");
    TrainState& s = c.state;
    s.step = j.at("step");
    s.samples = j.at("samples");
    s.rng = j.at("rng").get<std::vector<uint64_t>>();
    s.train_seconds = j.at("train_seconds");
    // A checkpoint is written within its step's loop time, which it cannot
    // count yet, and states before loop_seconds have none: at least the steps.
    s.loop_seconds = std::max(j.value("loop_seconds", 0.0), s.train_seconds);
    s.epoch_loss_sum = j.at("epoch_loss_sum");
    s.epoch_loss_count = j.at("epoch_loss_count");
    s.eval_loss_sum = j.at("eval_loss_sum");
    s.eval_loss_count = j.at("eval_loss_count");
    s.finished = j.at("finished");
    for (const auto& r : j.at("history")) {
      // Rows of states written before the lr column have six values.
      s.history.push_back({r.at(0), r.at(1), r.at(2), r.at(3), r.at(4), r.at(5),
                           r.size() > 6 ? r.at(6).get<double>() : NAN});
    }
    s.curve = j.at("curve").get<std::vector<std::array<double, 2>>>();
    // Version 2: the run's identity; version 1 states have none.
    s.run_id = j.value("run_id", "");
    s.kernels = j.value("kernels", "");
    if (j.contains("data_hash")) {
      s.train_hash = j["data_hash"].value("train", "");
      s.test_hash = j["data_hash"].value("test", "");
    }
    c.options = settings_from_json(j.at("settings").dump(), path);
  } catch (const json::exception& e) {
    throw Error(path + ": missing or malformed field (" + std::string(e.what()) + ")");
  }
  return c;
}

std::map<std::string, std::string> load_checkpoint_weights(const std::string& dir,
                                                           const TrainState& st,
                                                           Network<float>& net,
                                                           Optimizer<float>& opt) {
  const std::string mpath = dir + "/model.safetensors", opath = dir + "/optimizer.safetensors";
  const SafeTensors model = read_at_step(mpath, st);
  load_params(model, net, mpath);
  load_optimizer_tensors(read_at_step(opath, st), opath, net, opt);
  return model.metadata;
}

}  // namespace handgrad
