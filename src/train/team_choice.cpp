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
  if (n != n_ || step_ >= kReprobe) {
    n_ = n;
    step_ = 0;
    solo_.clear();
    team_.clear();
  }
  current_ = probing() ? (step_ / kBlock) % 2 == 0 : chose_;
  ++step_;
  return current_;
}

void TeamChoice::record(double seconds) {
  if (mode_ != TeamMode::automatic || step_ > kBlock * kBlocks) return;
  (current_ ? team_ : solo_).push_back(seconds);
  if (step_ == kBlock * kBlocks) decide();
}

void TeamChoice::decide() {
  chose_ = !team_.empty() && !solo_.empty() && median(team_) < median(solo_);
}

}  // namespace handgrad
