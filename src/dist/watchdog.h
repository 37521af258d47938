#pragma once
// A deadline on collectives: Open MPI's mpirun ends the job when a rank
// dies, but a rank that stops (SIGSTOP, a swapped-out host) or a network
// that drops packets without a reset leaves the others waiting for ever.
// Armed around every collective; if one lasts longer than the timeout the
// watchdog writes one line naming the rank, the collective and the step,
// and ends this process with exit code 1 (mpirun then ends the others).
//
// The wait is counted in ticks of the watchdog's own thread, so time this
// process spent stopped (SIGSTOP, a suspended VM) counts as one tick: the
// rank that was stopped does not, once continued, blame the others.
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace handgrad::dist {

class Watchdog {
 public:
  // who: "rank 1 of 4". timeout_seconds <= 0: never fires, no thread.
  Watchdog(double timeout_seconds, std::string who);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // what: "the gradient exchange"; step: the step it belongs to.
  void arm(const char* what, long step);
  void disarm();

 private:
  void watch();
  [[noreturn]] void fire();

  double timeout_;
  std::string who_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false, stop_ = false;
  const char* what_ = "";
  long step_ = 0;
  double waited_ = 0;  // seconds counted since arm()
  std::thread thread_;
};

}  // namespace handgrad::dist
