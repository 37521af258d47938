#pragma once
// Training progress on stderr: a live, redrawn bar on a terminal; plain
// lines every 5% of the run otherwise (logs, CI); nothing when quiet.
#include <chrono>
#include <string>

namespace handgrad {

class Progress {
 public:
  Progress(bool quiet, long total_steps, long first_step);
  // After each step. epoch is 1-based; loss is the running mean of the epoch.
  void update(long step, int epoch, int epochs, double loss, double samples_per_second);
  // A line of its own (an evaluation, a warning), not overwritten by the bar.
  void message(const std::string& line);
  // Ends the bar's line.
  void finish();

 private:
  std::string line(long step, int epoch, int epochs, double loss, double sps, bool bar) const;
  bool quiet_, tty_;
  long total_, first_, next_plain_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// "1m05s", "42s", "1h02m".
std::string format_duration(double seconds);

}  // namespace handgrad
