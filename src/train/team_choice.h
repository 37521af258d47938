#pragma once
// Whether a training step that the batch gives one slice (step_runner.h)
// runs on a team of two threads (core/team.h) or on one. A team step is
// bit-identical to a one-thread step, so the choice can follow the clock
// without changing a result:
//  - a probe: at each new batch size the steps alternate between the two
//    in blocks, and the faster median wins;
//  - a watch: while the team runs, its last block of steps is compared with
//    the probe's one-thread median, and a team grown slower (on a loaded
//    machine a barrier waits for a descheduled thread: ten times slower is
//    common) falls back to one thread at once;
//  - probes again every kReprobe steps, twice as far apart after each
//    probe or watch that chose one thread (up to kMaxInterval), so a busy
//    machine pays little for looking.
// Code: src/train/team_choice.cpp.
#include <vector>

#include "handgrad/train/step_runner.h"

namespace handgrad {

class TeamChoice {
 public:
  static constexpr int kBlock = 8;        // steps per probe block and per watch
  static constexpr int kBlocks = 6;       // probe blocks, team and one thread alternating
  static constexpr long kReprobe = 4096;  // steps from a probe to the next
  static constexpr long kMaxInterval = 65536;
  static constexpr double kSlower = 1.25;  // the watch's limit: team median / one-thread median

  explicit TeamChoice(TeamMode m = TeamMode::automatic) : mode_(m) {}
  void set_mode(TeamMode m);
  TeamMode mode() const { return mode_; }
  // Whether the next step, of n samples, runs as a team.
  bool next(int n);
  // The step next() was asked for took `seconds`.
  void record(double seconds);
  // What the last probe or watch chose (automatic), or the mode.
  bool chose_team() const { return chose_; }
  long interval() const { return interval_; }

 private:
  static constexpr long kProbe = kBlock * kBlocks;
  bool probing() const { return since_ <= kProbe; }
  void decide();
  void watch(double seconds);
  void choose_one_thread();

  TeamMode mode_;
  int n_ = -1;
  long since_ = 0;  // steps since the probe began (next() counts them)
  long interval_ = kReprobe;
  bool current_ = false, chose_ = false, decided_ = false;
  double solo_median_ = 0;
  std::vector<double> solo_, team_, recent_;
};

}  // namespace handgrad
