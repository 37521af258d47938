#pragma once
// Whether a training step that the batch gives one slice (step_runner.h)
// runs on a team of all the runner's threads (core/team.h) or on one. A
// team step is bit-identical to a one-thread step, so the choice can follow
// the clock without changing a result: at each new batch size the steps
// alternate between the two in blocks, the faster median wins, and every
// kReprobe steps it looks again (the load on a machine changes).
// Code: src/train/team_choice.cpp.
#include <vector>

#include "handgrad/train/step_runner.h"

namespace handgrad {

class TeamChoice {
 public:
  static constexpr int kBlock = 8;        // steps per probe block
  static constexpr int kBlocks = 6;       // probe blocks, team and one thread alternating
  static constexpr long kReprobe = 4096;  // steps between probes

  explicit TeamChoice(TeamMode m = TeamMode::automatic) : mode_(m) {}
  void set_mode(TeamMode m);
  TeamMode mode() const { return mode_; }
  // Whether the next step, of n samples, runs as a team.
  bool next(int n);
  // The step next() was asked for took `seconds`.
  void record(double seconds);
  // What the last probe chose (automatic), or the mode.
  bool chose_team() const { return chose_; }

 private:
  bool probing() const { return step_ < kBlock * kBlocks; }
  void decide();

  TeamMode mode_;
  int n_ = -1;
  long step_ = 0;  // steps since the probe began
  bool current_ = false, chose_ = false;
  std::vector<double> solo_, team_;
};

}  // namespace handgrad
