#include "train/team_choice.h"

#include <algorithm>

namespace handgrad {

namespace {
double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}
}  // namespace

void TeamChoice::set_mode(TeamMode m) {
  mode_ = m;
  chose_ = m == TeamMode::on;
  n_ = -1;
}

bool TeamChoice::next(int n) {
  if (mode_ != TeamMode::automatic) return current_ = mode_ == TeamMode::on;
  if (n != n_) {
    n_ = n;
    interval_ = kReprobe;
    since_ = 0;
  }
  if (since_ >= interval_) since_ = 0;
  if (since_ == 0) {
    solo_.clear();
    team_.clear();
    decided_ = false;
  }
  ++since_;
  // Decided at the probe's last step, or, when that step was not reported
  // (it could not run as asked), at the first step after it.
  if (since_ == kProbe + 1 && !decided_) decide();
  current_ = probing() ? ((since_ - 1) / kBlock) % 2 == 0 : chose_;
  return current_;
}

void TeamChoice::record(double seconds) {
  if (mode_ != TeamMode::automatic) return;
  if (probing()) {
    (current_ ? team_ : solo_).push_back(seconds);
    if (since_ == kProbe) decide();
  } else if (current_) {
    watch(seconds);
  }
}

// No team step heard of (the workspace was resized before each): one thread.
void TeamChoice::decide() {
  solo_median_ = solo_.empty() ? 0.0 : median(solo_);
  chose_ = !team_.empty() && !solo_.empty() && median(team_) < solo_median_;
  decided_ = true;
  recent_.clear();
  if (chose_) {
    interval_ = kReprobe;
  } else {
    choose_one_thread();
  }
}

void TeamChoice::watch(double seconds) {
  recent_.push_back(seconds);
  if (recent_.size() < static_cast<size_t>(kBlock)) return;
  if (median(recent_) > kSlower * solo_median_) choose_one_thread();
  recent_.clear();
}

void TeamChoice::choose_one_thread() {
  chose_ = false;
  interval_ = std::min(2 * interval_, kMaxInterval);
}

}  // namespace handgrad
