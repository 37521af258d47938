#include "progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace handgrad {

std::string format_duration(double s) {
  char buf[32];
  const long t = static_cast<long>(s + 0.5);
  if (t >= 3600) {
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  } else if (t >= 60) {
    std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  }
  return buf;
}

Progress::Progress(bool quiet, long total_steps, long first_step)
    : quiet_(quiet),
      tty_(isatty(STDERR_FILENO) != 0),
      total_(std::max(1L, total_steps)),
      first_(first_step),
      next_plain_(first_step),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

std::string Progress::line(long step, int epoch, int epochs, double loss, double sps,
                           bool bar) const {
  const double done = static_cast<double>(step) / total_;
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const long this_run = step - first_;
  const double eta = this_run > 0 ? secs / this_run * (total_ - step) : 0;
  std::string s;
  if (bar) {
    const int width = 24, fill = static_cast<int>(done * width);
    s = "[" + std::string(static_cast<size_t>(fill), '#') +
        std::string(static_cast<size_t>(width - fill), '.') + "] ";
  }
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "epoch %d/%d  step %ld/%ld (%3.0f%%)  loss %.4f  %.0f samples/s  ETA %s", epoch,
                epochs, step, total_, 100 * done, loss, sps, format_duration(eta).c_str());
  return s + buf;
}

void Progress::update(long step, int epoch, int epochs, double loss, double sps) {
  if (quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (step < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    std::fprintf(stderr, "\r\033[K%s", line(step, epoch, epochs, loss, sps, true).c_str());
    drawn_ = true;
  } else if (step >= next_plain_ || step == total_) {
    std::fprintf(stderr, "%s\n", line(step, epoch, epochs, loss, sps, false).c_str());
    next_plain_ = step + std::max(1L, total_ / 20);
  }
  std::fflush(stderr);
}

void Progress::message(const std::string& text) {
  if (quiet_) return;
  if (tty_ && drawn_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s\n", text.c_str());
  drawn_ = false;
  std::fflush(stderr);
}

void Progress::finish() {
  if (quiet_) return;
  if (tty_ && drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace handgrad
