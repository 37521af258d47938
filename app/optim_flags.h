#pragma once
// The training-objective flags shared by train and replay: --loss,
// --optimizer with its settings, --lr-schedule with its settings. An
// optimizer's settings default to its own (torch's: adamw's weight decay
// 0.01, rmsprop's momentum 0), so the flags are parsed into a scratch copy
// and resolve_objective() builds the options from the kind's defaults and
// the flags actually typed.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <string>

#include "handgrad/core/error.h"
#include "handgrad/layers/loss.h"
#include "handgrad/optim/optimizer.h"
#include "handgrad/optim/schedule.h"

namespace handgrad::cli {

struct ObjectiveFlags {
  std::string loss = "ce";
  OptimizerOptions optim;  // only the typed fields are read
  ScheduleOptions schedule;
};

// Every flag of the family, for commands that refuse them (train --resume).
inline const std::vector<const char*> kObjectiveFlags = {
    "--loss",          "--optimizer", "--lr",  "--momentum", "--weight-decay", "--nesterov",
    "--beta1",         "--beta2",     "--eps", "--alpha",    "--lr-schedule",  "--lr-gamma",
    "--lr-step-epochs"};

inline void add_objective_flags(CLI::App& sub, ObjectiveFlags& f) {
  sub.add_option("--loss", f.loss, "ce (softmax cross-entropy) or mse (against one-hot targets)")
      ->capture_default_str();
  sub.add_option("--optimizer", f.optim.optimizer,
                 optimizer_names() + ", with torch.optim's semantics and defaults")
      ->capture_default_str();
  sub.add_option("--lr", f.optim.lr,
                 "learning rate (default: the preset's for sgd (0.01); torch's for the others: "
                 "adam, adamw 0.001, rmsprop 0.01)");
  sub.add_option("--momentum", f.optim.momentum, "sgd (default 0.9), rmsprop (default 0)");
  sub.add_option("--weight-decay", f.optim.weight_decay,
                 "L2 term added to the gradient (sgd, adam, rmsprop; default 0); adamw: "
                 "decoupled, p *= 1 - lr * wd (default 0.01)");
  sub.add_flag("--nesterov", f.optim.nesterov, "sgd: Nesterov momentum");
  sub.add_option("--beta1", f.optim.beta1, "adam, adamw: first-moment decay (default 0.9)");
  sub.add_option("--beta2", f.optim.beta2, "adam, adamw: second-moment decay (default 0.999)");
  sub.add_option("--eps", f.optim.eps, "adam, adamw, rmsprop: denominator term (default 1e-8)");
  sub.add_option("--alpha", f.optim.alpha, "rmsprop: square-average decay (default 0.99)");
  sub.add_option("--lr-schedule", f.schedule.lr_schedule,
                 "constant, cosine (to 0 over the run's steps) or step (x --lr-gamma every "
                 "--lr-step-epochs epochs); stepped after every optimizer step")
      ->capture_default_str();
  sub.add_option("--lr-gamma", f.schedule.lr_gamma, "step schedule: the factor")
      ->capture_default_str();
  sub.add_option("--lr-step-epochs", f.schedule.lr_step_epochs,
                 "step schedule: epochs between decays (may be fractional)")
      ->capture_default_str();
}

// The optimizer's options: its kind's defaults, then the typed flags.
// A typed setting the kind does not read is refused, naming the flag.
inline OptimizerOptions resolve_optimizer(const CLI::App& sub, const OptimizerOptions& typed) {
  const OptimizerDef& def = find_optimizer(typed.optimizer);
  OptimizerOptions o = def.defaults;
  const auto given = [&](const char* field, auto OptimizerOptions::*member) {
    std::string flag = std::string("--") + field;
    std::replace(flag.begin(), flag.end(), '_', '-');
    if (sub.count(flag) == 0) return;
    const bool reads =
        std::string(field) == "lr" ||
        std::find(def.settings.begin(), def.settings.end(), field) != def.settings.end();
    if (!reads) throw UsageError(flag + ": not a setting of --optimizer " + def.name);
    o.*member = typed.*member;
  };
  given("lr", &OptimizerOptions::lr);
  given("momentum", &OptimizerOptions::momentum);
  given("weight_decay", &OptimizerOptions::weight_decay);
  given("nesterov", &OptimizerOptions::nesterov);
  given("beta1", &OptimizerOptions::beta1);
  given("beta2", &OptimizerOptions::beta2);
  given("eps", &OptimizerOptions::eps);
  given("alpha", &OptimizerOptions::alpha);
  return o;
}

}  // namespace handgrad::cli
