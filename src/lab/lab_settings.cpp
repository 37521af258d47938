// JSON settings -> TrainOptions, and TrainOptions -> `handgrad train ...`.
#include "lab_settings.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "handgrad/core/cpu.h"
#include "handgrad/data/generators.h"
#include "handgrad/data/idx.h"
#include "handgrad/layers/arch.h"
#include "handgrad/layers/layer.h"
#include "handgrad/layers/loss.h"
#include "handgrad/model/presets.h"
#include "handgrad/optim/optimizer.h"
#include "handgrad/optim/schedule.h"
#include "handgrad/train/preset_defaults.h"
#include "lab_error.h"

namespace handgrad::lab {

using nlohmann::json;

namespace {

double number(const json& v, const std::string& key) {
  if (!v.is_number()) throw ApiError(400, key + ": must be a number", key);
  const double d = v.get<double>();
  if (!std::isfinite(d)) throw ApiError(400, key + ": must be finite", key);
  return d;
}

long integer(const json& v, const std::string& key, long lo, long hi) {
  const double d = number(v, key);
  if (d != std::floor(d) || d < lo || d > hi) {
    throw ApiError(400,
                   key + ": must be an integer in [" + std::to_string(lo) + ", " +
                       std::to_string(hi) + "], got " + v.dump(),
                   key);
  }
  return static_cast<long>(d);
}

std::string text(const json& v, const std::string& key) {
  if (!v.is_string()) throw ApiError(400, key + ": must be a string", key);
  return v.get<std::string>();
}

bool boolean(const json& v, const std::string& key) {
  if (!v.is_boolean()) throw ApiError(400, key + ": must be true or false", key);
  return v.get<bool>();
}

using Setter = std::function<void(RunSettings&, const json&, const Caps&)>;

// The accepted fields; each name is its CLI flag without the dashes.
const std::map<std::string, Setter>& setters() {
  static const std::map<std::string, Setter> m = {
      {"preset",
       [](RunSettings& s, const json& v, const Caps&) { s.options.preset = text(v, "preset"); }},
      {"arch",
       [](RunSettings& s, const json& v, const Caps&) { s.options.arch = text(v, "arch"); }},
      {"input",
       [](RunSettings& s, const json& v, const Caps&) { s.options.input = text(v, "input"); }},
      {"data",
       [](RunSettings& s, const json& v, const Caps&) { s.options.data.data = text(v, "data"); }},
      {"n",
       [](RunSettings& s, const json& v, const Caps& c) {
         s.options.data.n = static_cast<int>(integer(v, "n", 2, c.max_points));
       }},
      {"noise", [](RunSettings& s, const json& v,
                   const Caps&) { s.options.data.noise = number(v, "noise"); }},
      {"data_seed",
       [](RunSettings& s, const json& v, const Caps&) {
         s.options.data.seed = static_cast<uint64_t>(integer(v, "data_seed", 0, 1L << 52));
       }},
      {"test_fraction",
       [](RunSettings& s, const json& v, const Caps&) {
         s.options.data.test_fraction = number(v, "test_fraction");
       }},
      {"train_limit",
       [](RunSettings& s, const json& v, const Caps&) {
         s.options.train_limit = static_cast<int>(integer(v, "train_limit", 0, 1L << 30));
       }},
      {"test_limit",
       [](RunSettings& s, const json& v, const Caps&) {
         s.options.test_limit = static_cast<int>(integer(v, "test_limit", 0, 1L << 30));
       }},
      {"epochs",
       [](RunSettings& s, const json& v, const Caps& c) {
         s.options.epochs = static_cast<int>(integer(v, "epochs", 1, c.max_steps));
         s.options.epochs_given = true;
       }},
      {"iterations",
       [](RunSettings& s, const json& v, const Caps& c) {
         s.options.iterations = integer(v, "iterations", 1, c.max_steps);
       }},
      {"batch_size",
       [](RunSettings& s, const json& v, const Caps& c) {
         s.options.batch_size = static_cast<int>(integer(v, "batch_size", 1, c.max_batch));
       }},
      {"optimizer", [](RunSettings& s, const json& v,
                       const Caps&) { s.options.optim.optimizer = text(v, "optimizer"); }},
      {"lr",
       [](RunSettings& s, const json& v, const Caps&) { s.options.optim.lr = number(v, "lr"); }},
      {"momentum", [](RunSettings& s, const json& v,
                      const Caps&) { s.options.optim.momentum = number(v, "momentum"); }},
      {"weight_decay",
       [](RunSettings& s, const json& v, const Caps&) {
         s.options.optim.weight_decay = number(v, "weight_decay");
       }},
      {"nesterov", [](RunSettings& s, const json& v,
                      const Caps&) { s.options.optim.nesterov = boolean(v, "nesterov"); }},
      {"beta1", [](RunSettings& s, const json& v,
                   const Caps&) { s.options.optim.beta1 = number(v, "beta1"); }},
      {"beta2", [](RunSettings& s, const json& v,
                   const Caps&) { s.options.optim.beta2 = number(v, "beta2"); }},
      {"eps",
       [](RunSettings& s, const json& v, const Caps&) { s.options.optim.eps = number(v, "eps"); }},
      {"alpha", [](RunSettings& s, const json& v,
                   const Caps&) { s.options.optim.alpha = number(v, "alpha"); }},
      {"loss",
       [](RunSettings& s, const json& v, const Caps&) { s.options.loss = text(v, "loss"); }},
      {"lr_schedule", [](RunSettings& s, const json& v,
                         const Caps&) { s.options.schedule.lr_schedule = text(v, "lr_schedule"); }},
      {"lr_gamma", [](RunSettings& s, const json& v,
                      const Caps&) { s.options.schedule.lr_gamma = number(v, "lr_gamma"); }},
      {"lr_step_epochs",
       [](RunSettings& s, const json& v, const Caps&) {
         s.options.schedule.lr_step_epochs = number(v, "lr_step_epochs");
       }},
      {"seed",
       [](RunSettings& s, const json& v, const Caps&) {
         s.options.seed = static_cast<uint64_t>(integer(v, "seed", 0, 1L << 52));
       }},
      {"threads",
       [](RunSettings& s, const json& v, const Caps& c) {
         s.options.threads = static_cast<int>(integer(v, "threads", 1, c.max_threads));
       }},
      {"init",
       [](RunSettings& s, const json& v, const Caps&) {
         s.options.init = text(v, "init");
         if (s.options.init != "torch" && s.options.init != "he" && s.options.init != "xavier") {
           throw ApiError(400, "init: must be torch, he or xavier (the lab names no files)",
                          "init");
         }
       }},
      {"clip_grad_norm",
       [](RunSettings& s, const json& v, const Caps&) {
         s.options.clip_grad_norm = number(v, "clip_grad_norm");
       }},
      {"standardize", [](RunSettings& s, const json& v,
                         const Caps&) { s.options.standardize = boolean(v, "standardize"); }},
      {"normalize", [](RunSettings& s, const json& v,
                       const Caps&) { s.options.normalize = boolean(v, "normalize"); }},
      {"eval_every",
       [](RunSettings& s, const json& v, const Caps& c) {
         s.options.eval_every = integer(v, "eval_every", 0, c.max_steps);
       }},
      {"checkpoint_every",
       [](RunSettings& s, const json& v, const Caps&) {
         s.options.checkpoint_every = static_cast<int>(integer(v, "checkpoint_every", 0, 1 << 30));
       }},
      {"play", [](RunSettings& s, const json& v, const Caps&) { s.play = boolean(v, "play"); }},
      {"pace",
       [](RunSettings& s, const json& v, const Caps&) {
         s.pace = number(v, "pace");
         if (s.pace < 0) throw ApiError(400, "pace: steps per second, >= 0", "pace");
       }},
  };
  return m;
}

std::vector<Point> parse_points(const json& v, const std::string& key, int max_points) {
  if (!v.is_array()) throw ApiError(400, key + ": must be an array of [x1, x2, label]", key);
  if (v.size() > static_cast<size_t>(max_points)) {
    throw ApiError(
        413,
        key + ": " + std::to_string(v.size()) + " points, at most " + std::to_string(max_points),
        key);
  }
  std::vector<Point> out;
  for (const json& p : v) {
    if (!p.is_array() || p.size() != 3 || !p[0].is_number() || !p[1].is_number()) {
      throw ApiError(400, key + ": every point must be [x1, x2, label]", key);
    }
    const double x = p[0].get<double>(), y = p[1].get<double>();
    const long label = integer(p[2], key + " label", 0, 31);
    if (!std::isfinite(x) || !std::isfinite(y) || std::fabs(x) > 1e6 || std::fabs(y) > 1e6) {
      throw ApiError(400, key + ": coordinates must be finite and within 1e6", key);
    }
    out.push_back({static_cast<float>(x), static_cast<float>(y), static_cast<float>(label)});
  }
  return out;
}

void parse_inline_points(RunSettings& s, const json& v, const Caps& caps) {
  if (!v.is_object() || !v.contains("train") || !v.contains("test")) {
    throw ApiError(400, "points: must be {\"train\": [[x1, x2, label], ...], \"test\": [...]}",
                   "points");
  }
  s.train_points = parse_points(v["train"], "points.train", caps.max_points);
  s.test_points = parse_points(v["test"], "points.test", caps.max_points);
  if (s.train_points.empty()) throw ApiError(400, "points.train: no points", "points.train");
  if (s.test_points.empty()) throw ApiError(400, "points.test: no points", "points.test");
  if (s.train_points.size() + s.test_points.size() > static_cast<size_t>(caps.max_points)) {
    throw ApiError(413, "points: more than " + std::to_string(caps.max_points) + " in all",
                   "points");
  }
}

// Shapes through every layer without allocating the network, so a huge
// architecture is refused before it costs memory: each layer is made from
// the layer table (make_layer: find_layer and its argument checks),
// configured, and its tensors() counted.
long count_params(const std::string& arch, const Dims& input, const Caps& caps) {
  std::vector<LayerSpec> specs;
  try {
    specs = parse_arch(arch);
  } catch (const Error& e) {
    throw ApiError(400, std::string("arch: ") + e.what(), "arch");
  }
  if (static_cast<int>(specs.size()) > caps.max_layers) {
    throw ApiError(413,
                   "arch: " + std::to_string(specs.size()) + " layers, at most " +
                       std::to_string(caps.max_layers),
                   "arch");
  }
  Dims d = input;
  long total = 0;
  for (const LayerSpec& sp : specs) {
    for (double a : sp.args) {
      if (a > 65536) throw ApiError(413, "arch: " + sp.text + ": argument too large", "arch");
    }
    std::unique_ptr<Layer<float>> layer;
    try {
      layer = make_layer<float>(sp.name, sp.args);
      d = layer->configure(d);
    } catch (const Error& e) {
      throw ApiError(400, std::string("arch: ") + e.what(), "arch");
    }
    for (const TensorDef& t : layer->tensors()) total += static_cast<long>(numel(t.dims));
    if (total > caps.max_params || numel(d) > 1u << 24) {
      throw ApiError(413,
                     "arch: more than " + std::to_string(caps.max_params) +
                         " parameters or a huge activation (the lab's cap)",
                     "arch");
    }
  }
  return total;
}

void check_data(RunSettings& s, const SettingsContext& ctx) {
  TrainOptions& o = s.options;
  const std::string& name = o.data.data;
  if (!s.train_points.empty()) {
    if (name != "points") throw ApiError(400, "data: give \"points\" with inline points", "data");
    return;
  }
  if (name == "mnist" || name == "fashion-mnist") {
    s.image_data = true;
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!ctx.data_root.empty() && fs::is_directory(fs::path(ctx.data_root) / name, ec)) {
      o.data.data_dir = (fs::path(ctx.data_root) / name).string();
    }
    try {
      find_dataset_dir(name, o.data.data_dir);
    } catch (const Error& e) {
      throw ApiError(404, std::string("data: ") + e.what(), "data");
    }
    return;
  }
  if (!is_generator(name)) {
    throw ApiError(400,
                   "data: '" + name + "' is not mnist, fashion-mnist, " +
                       "moons, circles, spirals, xor, blobs or points",
                   "data");
  }
}

Dims input_of(const RunSettings& s) {
  const TrainOptions& o = s.options;
  if (!o.input.empty()) return parse_dims(o.input, "--input");
  if (o.arch.empty()) {
    // A preset's own input, as the trainer uses it.
    return find_preset(o.preset).input;
  }
  return s.image_data ? Dims{1, 28, 28} : Dims{2};
}

// The optimizer's settings: its kind's defaults (torch's), then the ones
// given, as the CLI's --optimizer does. A given setting the kind does not
// read is refused, naming it.
void resolve_optimizer(OptimizerOptions& typed, const std::set<std::string>& given) {
  const OptimizerDef& def = find_optimizer(typed.optimizer);
  OptimizerOptions o = def.defaults;
  const auto take = [&](const char* field, auto OptimizerOptions::*member) {
    if (!given.count(field)) return;
    const bool reads =
        std::string(field) == "lr" ||
        std::find(def.settings.begin(), def.settings.end(), field) != def.settings.end();
    if (!reads) throw FieldError(field, "not a setting of optimizer " + def.name);
    o.*member = typed.*member;
  };
  take("lr", &OptimizerOptions::lr);
  take("momentum", &OptimizerOptions::momentum);
  take("weight_decay", &OptimizerOptions::weight_decay);
  take("nesterov", &OptimizerOptions::nesterov);
  take("beta1", &OptimizerOptions::beta1);
  take("beta2", &OptimizerOptions::beta2);
  take("eps", &OptimizerOptions::eps);
  take("alpha", &OptimizerOptions::alpha);
  typed = o;
}

}  // namespace

RunSettings parse_run_settings(const json& j, const SettingsContext& ctx) {
  if (!j.is_object()) throw ApiError(400, "the settings must be a JSON object");
  static const std::set<std::string> refused = {"data_dir", "test_data",   "out",
                                                "resume",   "batch_order", "out_dir"};
  RunSettings s;
  std::set<std::string> given;
  bool seed_settings = false;
  for (const auto& [key, v] : j.items()) {
    if (refused.count(key)) {
      throw ApiError(400, key + ": the lab names no files (its run folders are its own)", key);
    }
    if (key == "points") {
      parse_inline_points(s, v, ctx.caps);
    } else if (key == "seed_settings") {
      seed_settings = boolean(v, key);
    } else {
      const auto it = setters().find(key);
      if (it == setters().end()) throw ApiError(400, key + ": unknown setting", key);
      it->second(s, v, ctx.caps);
    }
    given.insert(key);
  }
  if (given.count("epochs") && given.count("iterations")) {
    throw ApiError(400, "iterations: give epochs or iterations, not both", "iterations");
  }
  if (!s.train_points.empty() && !given.count("data")) {
    s.options.data.data = "points";
    given.insert("data");
  }
  try {
    // The JSON keys are the settings' names, as apply_preset_defaults() asks.
    apply_preset_defaults(
        s.options, [&](const char* field) { return given.count(field) > 0; }, seed_settings);
    resolve_optimizer(s.options.optim, given);
    validate(s.options.optim);
    find_loss(s.options.loss);
    validate(s.options.schedule);
    if (!(s.options.clip_grad_norm >= 0)) {
      throw FieldError("clip_grad_norm", "must be >= 0 (0 = off)");
    }
    if (s.options.standardize && s.options.normalize) {
      throw FieldError("normalize", "give standardize or normalize, not both");
    }
    if (is_generator(s.options.data.data) &&
        !(s.options.data.test_fraction > 0 && s.options.data.test_fraction < 1)) {
      throw FieldError("test_fraction", "must be in (0, 1)");
    }
    check_data(s, ctx);
    s.input = input_of(s);
    const std::string arch =
        s.options.arch.empty() ? find_preset(s.options.preset).arch : s.options.arch;
    s.num_params = count_params(arch, s.input, ctx.caps);
  } catch (const ApiError&) {
    throw;
  } catch (const Error& e) {
    throw from_usage_error(e);
  }
  TrainOptions& o = s.options;
  if (o.threads == 0)
    o.threads = s.image_data ? std::min(default_threads(), ctx.caps.max_threads) : 1;
  o.quiet = true;
  return s;
}

namespace {

std::string shell_quote(const std::string& w) {
  bool plain = !w.empty();
  for (char c : w) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) ||
          std::string("_./=:,+-@%").find(c) != std::string::npos)) {
      plain = false;
    }
  }
  if (plain) return w;
  std::string q = "'";
  for (char c : w) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The shortest "%.Ng" that reads back as the same double.
std::string exact(double v) {
  char buf[64];
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

// The objective's flags: what `handgrad train` needs to resolve the same
// optimizer, loss and schedule (a setting the kind does not read is left
// out, as train refuses it; one equal to the kind's default too, except sgd's
// rate and momentum, which a preset would replace).
template <class Add>
void add_objective_args(const TrainOptions& t, const Add& add, std::vector<std::string>& a) {
  const OptimizerOptions& o = t.optim;
  const OptimizerDef& def = find_optimizer(o.optimizer);
  const OptimizerOptions& d = def.defaults;
  const auto reads = [&](const char* field) {
    return std::find(def.settings.begin(), def.settings.end(), field) != def.settings.end();
  };
  if (o.optimizer != "sgd") add("--optimizer", o.optimizer);
  add("--lr", exact(o.lr));
  if (reads("momentum") && (o.optimizer == "sgd" || o.momentum != d.momentum)) {
    add("--momentum", exact(o.momentum));
  }
  if (reads("weight_decay") && o.weight_decay != d.weight_decay) {
    add("--weight-decay", exact(o.weight_decay));
  }
  if (reads("nesterov") && o.nesterov) a.push_back("--nesterov");
  if (reads("beta1") && o.beta1 != d.beta1) add("--beta1", exact(o.beta1));
  if (reads("beta2") && o.beta2 != d.beta2) add("--beta2", exact(o.beta2));
  if (reads("eps") && o.eps != d.eps) add("--eps", exact(o.eps));
  if (reads("alpha") && o.alpha != d.alpha) add("--alpha", exact(o.alpha));
  if (t.loss != "ce") add("--loss", t.loss);
  const ScheduleOptions ds;
  if (t.schedule.lr_schedule != ds.lr_schedule) add("--lr-schedule", t.schedule.lr_schedule);
  if (t.schedule.lr_schedule == "step") {
    add("--lr-gamma", exact(t.schedule.lr_gamma));
    add("--lr-step-epochs", exact(t.schedule.lr_step_epochs));
  }
}

}  // namespace

std::vector<std::string> train_args(const TrainOptions& o, const std::string& out) {
  std::vector<std::string> a = {"train"};
  const auto add = [&](const std::string& flag, const std::string& value) {
    a.push_back(flag);
    a.push_back(value);
  };
  const DataArgs d;  // the flags' defaults
  if (o.arch.empty()) {
    add("--preset", o.preset);
  } else {
    add("--arch", o.arch);
  }
  if (!o.input.empty()) add("--input", o.input);
  add("--data", o.data.data);
  if (!o.data.data_dir.empty()) add("--data-dir", o.data.data_dir);
  if (!o.data.test_data.empty()) add("--test-data", o.data.test_data);
  if (o.data.n != d.n) add("--n", std::to_string(o.data.n));
  if (o.data.noise >= 0) add("--noise", exact(o.data.noise));
  if (o.data.seed != d.seed) add("--data-seed", std::to_string(o.data.seed));
  if (o.data.test_fraction != d.test_fraction) add("--test-fraction", exact(o.data.test_fraction));
  if (o.train_limit > 0) add("--train-limit", std::to_string(o.train_limit));
  if (o.test_limit > 0) add("--test-limit", std::to_string(o.test_limit));
  if (o.iterations > 0) {
    add("--iterations", std::to_string(o.iterations));
  } else {
    add("--epochs", std::to_string(o.epochs));
  }
  add("--batch-size", std::to_string(o.batch_size));
  add_objective_args(o, add, a);
  add("--init", o.init);
  add("--clip-grad-norm", exact(o.clip_grad_norm));
  a.push_back(o.standardize ? "--standardize" : "--no-standardize");
  if (o.normalize) a.push_back("--normalize");
  if (o.eval_every > 0) add("--eval-every", std::to_string(o.eval_every));
  add("--checkpoint-every", std::to_string(o.checkpoint_every));
  add("--seed", std::to_string(o.seed));
  add("--threads", std::to_string(o.threads));
  add("--out", out);
  return a;
}

std::string train_command(const TrainOptions& o, const std::string& out) {
  std::string cmd = "handgrad";
  for (const std::string& w : train_args(o, out)) cmd += " " + shell_quote(w);
  return cmd;
}

}  // namespace handgrad::lab
