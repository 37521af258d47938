// Learning-rate schedules in their closed forms (torch's
// _get_closed_form_lr; its chained form agrees to the last bits of a
// double). Derivation: docs/math.md#schedules.
#include "handgrad/optim/schedule.h"

#include <algorithm>
#include <cmath>

#include "handgrad/core/error.h"

namespace handgrad {

namespace {

double constant_rate(const ScheduleParams& p, long) {
  return p.base_lr;
}

// CosineAnnealingLR, eta_min 0: eta_min + (base - eta_min) * (1 + cos(pi t / T_max)) / 2.
double cosine_rate(const ScheduleParams& p, long t) {
  const double x = M_PI * static_cast<double>(t) / static_cast<double>(p.total_steps);
  return p.base_lr * (1 + std::cos(x)) / 2;
}

// StepLR: base * gamma ** (t // step_size).
double step_rate(const ScheduleParams& p, long t) {
  return p.base_lr * std::pow(p.gamma, static_cast<double>(t / p.step_size));
}

}  // namespace

// Function-local statics: usable from any static initialiser.
const std::vector<const ScheduleDef*>& schedule_table() {
  static const ScheduleDef constant{"constant", "the optimizer's lr at every step", "(none)",
                                    "schedules", &constant_rate};
  static const ScheduleDef cosine{
      "cosine", "cosine annealing from lr to 0 over the run's steps",
      "torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps, eta_min=0)",
      "cosine-annealing", &cosine_rate};
  static const ScheduleDef step{
      "step", "lr times --lr-gamma every --lr-step-epochs epochs",
      "torch.optim.lr_scheduler.StepLR(opt, step_size=lr_step_epochs * steps_per_epoch, "
      "gamma=lr_gamma)",
      "step-decay", &step_rate};
  static const std::vector<const ScheduleDef*> t{&constant, &cosine, &step};
  return t;
}

const ScheduleDef& find_schedule(const std::string& name) {
  std::string names;
  const auto& t = schedule_table();
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i]->name == name) return *t[i];
    names += (i == 0 ? "" : i + 1 == t.size() ? " or " : ", ") + t[i]->name;
  }
  throw FieldError("lr_schedule", "'" + name + "' is not " + names);
}

void validate(const ScheduleOptions& o) {
  find_schedule(o.lr_schedule);
  if (!(o.lr_gamma > 0 && o.lr_gamma <= 1)) {
    throw FieldError("lr_gamma", "must be in (0, 1], got " + std::to_string(o.lr_gamma));
  }
  if (!(o.lr_step_epochs > 0 && o.lr_step_epochs <= 1e6)) {
    throw FieldError("lr_step_epochs",
                     "must be a number in (0, 1e6], got " + std::to_string(o.lr_step_epochs));
  }
}

LrSchedule::LrSchedule(const ScheduleOptions& o, double base_lr, long total_steps,
                       long steps_per_epoch)
    : def_(&find_schedule(o.lr_schedule)) {
  validate(o);
  p_.base_lr = base_lr;
  p_.gamma = o.lr_gamma;
  p_.total_steps = std::max(1L, total_steps);
  p_.step_size = std::max(1L, std::lround(o.lr_step_epochs * static_cast<double>(steps_per_epoch)));
}

}  // namespace handgrad
