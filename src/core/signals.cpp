// See signals.h. The handler only stores the signal number in a lock-free
// atomic: nothing else is async-signal-safe enough to do there.
#include "handgrad/core/signals.h"

#include <signal.h>

#include <atomic>

namespace handgrad {
namespace {

std::atomic<int> g_stop{0};
static_assert(std::atomic<int>::is_always_lock_free, "the handler needs a lock-free flag");

void set_action(int sig, void (*handler)(int), int flags) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, nullptr);  // async-signal-safe: the handler calls it too
}

extern "C" void on_stop_signal(int sig) {
  int none = 0;
  g_stop.compare_exchange_strong(none, sig);  // the first request wins
  // One-shot for both signals: the next SIGINT or SIGTERM kills at once.
  set_action(SIGINT, SIG_DFL, 0);
  set_action(SIGTERM, SIG_DFL, 0);
}

}  // namespace

void ignore_output_signals() {
  set_action(SIGPIPE, SIG_IGN, 0);
  set_action(SIGXFSZ, SIG_IGN, 0);
}

void install_stop_handlers() {
  // No SA_RESTART: a blocking read is interrupted (the readers retry on
  // EINTR) and the loop gets to poll sooner.
  for (int sig : {SIGINT, SIGTERM}) set_action(sig, on_stop_signal, 0);
}

void remove_stop_handlers() {
  for (int sig : {SIGINT, SIGTERM}) set_action(sig, SIG_DFL, 0);
  clear_stop_request();
}

int stop_requested() {
  return g_stop.load(std::memory_order_relaxed);
}

void clear_stop_request() {
  g_stop.store(0, std::memory_order_relaxed);
}

int stop_exit_code(int sig) {
  return 128 + sig;
}

}  // namespace handgrad
