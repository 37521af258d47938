#pragma once
// A value that several threads may write and read at once, all writing the
// same value (a team's members each set an op's output pointer as they run
// it, see src/core/team.h): a relaxed atomic, so that this is not a data
// race, and copyable, so that it can live in a vector. On x86 its loads and
// stores are plain moves.
#include <atomic>

namespace handgrad {

template <class V>
class Relaxed {
 public:
  Relaxed(V v = V{}) : v_(v) {}  // NOLINT(google-explicit-constructor): a drop-in for V
  Relaxed(const Relaxed& o) : v_(o.get()) {}
  Relaxed& operator=(const Relaxed& o) {
    set(o.get());
    return *this;
  }
  Relaxed& operator=(V v) {
    set(v);
    return *this;
  }
  operator V() const { return get(); }  // NOLINT(google-explicit-constructor)
  V get() const { return v_.load(std::memory_order_relaxed); }
  // Stores only a new value: a team's threads set the same pointers at
  // every step, and a store would pull the cache line away from the other
  // cores each time (measured: 2-4 us per op on two cores).
  void set(V v) {
    if (get() != v) v_.store(v, std::memory_order_relaxed);
  }

 private:
  std::atomic<V> v_;
};

}  // namespace handgrad
