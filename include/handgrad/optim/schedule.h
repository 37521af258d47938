#pragma once
// Learning-rate schedules, as torch.optim.lr_scheduler with scheduler.step()
// after every optimizer step: the rate of step t (0-based) is a function of
// t alone, so a resumed run picks up its position from the step count.
// Derivations: docs/math.md#schedules. Code: src/optim/schedule.cpp.
//   constant  lr
//   cosine    CosineAnnealingLR(T_max = total steps, eta_min = 0):
//             lr * (1 + cos(pi * t / T)) / 2
//   step      StepLR(step_size = lr_step_epochs epochs of steps, gamma = lr_gamma):
//             lr * gamma^floor(t / step_size)
#include <string>
#include <vector>

namespace handgrad {

// Field names = flag names (--lr-schedule, --lr-gamma, --lr-step-epochs).
struct ScheduleOptions {
  std::string lr_schedule = "constant";  // constant | cosine | step
  double lr_gamma = 0.1;                 // step: the factor
  double lr_step_epochs = 1;             // step: epochs between decays (may be fractional)
};

// What a schedule's rate depends on.
struct ScheduleParams {
  double base_lr, gamma;
  long total_steps;  // cosine's T_max (>= 1)
  long step_size;    // step's period in steps (>= 1)
};

struct ScheduleDef {
  std::string name;     // --lr-schedule token
  std::string summary;  // one line for the help
  std::string torch;    // "torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max)"
  std::string math;     // docs/math.md anchor
  double (*rate)(const ScheduleParams& p, long t);  // the rate of step t (0-based)
};
const std::vector<const ScheduleDef*>& schedule_table();
// Throws FieldError("lr_schedule") naming the schedules there are.
const ScheduleDef& find_schedule(const std::string& name);

// Throws FieldError naming the setting (unknown schedule, gamma outside
// (0, 1], step epochs <= 0).
void validate(const ScheduleOptions& o);

class LrSchedule {
 public:
  // base_lr: the optimizer's lr; total_steps: the run's (cosine's T_max);
  // steps_per_epoch: what an epoch is for the step schedule.
  LrSchedule(const ScheduleOptions& o, double base_lr, long total_steps, long steps_per_epoch);
  // The rate optimizer step t (0-based) uses.
  double at(long t) const { return def_->rate(p_, t); }
  // The step schedule's period in steps: round(lr_step_epochs * steps per
  // epoch), at least 1 (torch's StepLR step_size).
  long step_size() const { return p_.step_size; }
  const ScheduleDef& def() const { return *def_; }

 private:
  const ScheduleDef* def_;
  ScheduleParams p_;
};

}  // namespace handgrad
