#include "dist/watchdog.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace handgrad::dist {

Watchdog::Watchdog(double timeout_seconds, std::string who)
    : timeout_(timeout_seconds), who_(std::move(who)) {
  if (timeout_ > 0) thread_ = std::thread([this] { watch(); });
}

Watchdog::~Watchdog() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Watchdog::arm(const char* what, long step) {
  if (timeout_ <= 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  armed_ = true;
  what_ = what;
  step_ = step;
  waited_ = 0;
  cv_.notify_all();
}

void Watchdog::disarm() {
  if (timeout_ <= 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  armed_ = false;
}

void Watchdog::watch() {
  using Clock = std::chrono::steady_clock;
  const auto tick = std::chrono::milliseconds(100);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (!armed_) {
      cv_.wait(lock);
      continue;
    }
    const auto t0 = Clock::now();
    cv_.wait_for(lock, tick);
    if (!armed_ || stop_) continue;
    // At most two ticks per wake-up: a longer gap is this process not running.
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    waited_ += std::min(dt, 0.2);
    if (waited_ >= timeout_) fire();
  }
}

void Watchdog::fire() {
  char line[512];
  const int len = std::snprintf(
      line, sizeof line,
      "handgrad: error: %s: no answer from the other ranks for %g s in %s of step %ld (a rank "
      "has stopped or the network is down; --mpi-timeout sets the limit); ending the job\n",
      who_.c_str(), timeout_, what_, step_);
  if (len > 0) {
    const ssize_t ignored = ::write(2, line, static_cast<size_t>(len));
    (void)ignored;
  }
  // Not exit(): the main thread is inside MPI; nothing may run destructors.
  std::_Exit(1);
}

}  // namespace handgrad::dist
