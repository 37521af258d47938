// SpinBarrier (team.h): a sense-by-generation barrier. The last member to
// arrive resets the count and bumps the generation; the others spin on it.
#include "core/team.h"

#include <immintrin.h>
#include <sched.h>

namespace handgrad {

void SpinBarrier::wait() {
  const unsigned gen = generation_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == members_) {
    arrived_.store(0, std::memory_order_relaxed);
    generation_.store(gen + 1, std::memory_order_release);
    return;
  }
  for (int i = 0; generation_.load(std::memory_order_acquire) == gen; ++i) {
    if (aborted_.load(std::memory_order_acquire)) throw TeamAborted{};
    if (i < 4000) {
      _mm_pause();
    } else {
      sched_yield();  // the member we wait for may need this core
    }
  }
}

void SpinBarrier::abort() {
  aborted_.store(true, std::memory_order_release);
}

void SpinBarrier::reset() {
  arrived_.store(0, std::memory_order_relaxed);
  aborted_.store(false, std::memory_order_release);
}

const Team& solo_team() {
  static const Team solo;
  return solo;
}

}  // namespace handgrad
