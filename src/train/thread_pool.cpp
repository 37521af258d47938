#include "train/thread_pool.h"

#include <immintrin.h>
#include <sched.h>

#include <string>

#include "handgrad/core/cpu.h"
#include "handgrad/core/error.h"

namespace handgrad {

namespace {
// About 50-100 microseconds of spinning before an idle worker sleeps.
constexpr int kSpins = 20000;
uint64_t job_of(uint64_t s) {
  return s >> 32;
}
int count_of(uint64_t s) {
  return static_cast<int>((s >> 16) & 0xffff);
}
int next_of(uint64_t s) {
  return static_cast<int>(s & 0xffff);
}
}  // namespace

ThreadPool::ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads) {
  const std::string what = "cannot start " + std::to_string(threads_) + " worker threads: ";
  if (threads_ > max_threads()) throw Error(what + threads_limit_text());
  for (int t = 0; t < threads_; ++t) slots_.push_back(std::make_unique<Slot>());
  try {
    for (int t = 1; t < threads_; ++t) workers_.emplace_back([this, t] { worker(t); });
  } catch (const std::exception& e) {
    // Without this the started workers would still be waiting on their
    // condition variables when the members are destroyed: the destructor of
    // a waited-on condition variable blocks forever (the old hang).
    const size_t started = workers_.size();
    stop_workers();
    throw Error(what + e.what() + " (" + std::to_string(started) +
                " started; the process limit, ulimit -u or a container's pids limit, is "
                "reached: use fewer --threads)");
  }
}

ThreadPool::~ThreadPool() {
  stop_workers();
}

void ThreadPool::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
    state_.store((job_of(state_.load()) + 1) << 32);
    for (auto& s : slots_) s->cv.notify_one();
  }
  for (auto& w : workers_) w.join();
  workers_.clear();
}

void ThreadPool::work() {
  uint64_t s = state_.load(std::memory_order_acquire);
  while (next_of(s) < count_of(s)) {
    if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel)) {
      const int slice = next_of(s);
      try {
        fn_(ctx_, slice);
      } catch (...) {
        errors_[slice] = std::current_exception();
      }
      done_.fetch_add(1, std::memory_order_acq_rel);
      s = state_.load(std::memory_order_acquire);
    }
  }
}

void ThreadPool::run_impl(int n, void (*fn)(void*, int), void* ctx) {
  if (n <= 0) return;
  if (threads_ == 1 || n == 1) {
    // Nothing to share: no job is published, so no worker wakes up.
    for (int s = 0; s < n; ++s) fn(ctx, s);
    return;
  }
  if (errors_.size() < static_cast<size_t>(n)) errors_.resize(n);  // first call only
  fn_ = fn;
  ctx_ = ctx;
  done_.store(0, std::memory_order_relaxed);
  {
    // The lock orders the new job with a worker about to sleep: no lost
    // wake-up. Only the workers this job uses (1..n-1) are woken.
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t job = job_of(state_.load(std::memory_order_relaxed)) + 1;
    state_.store((job << 32) | (static_cast<uint64_t>(n) << 16), std::memory_order_release);
    if (sleepers_ > 0) {
      for (int w = 1; w < n && w < threads_; ++w) {
        if (slots_[w]->sleeping) slots_[w]->cv.notify_one();
      }
    }
  }
  work();
  for (int i = 0; done_.load(std::memory_order_acquire) != n; ++i) {
    if (i < 1000) {
      _mm_pause();
    } else {
      sched_yield();  // the worker holding a slice may be waiting for this core
    }
  }
  for (int s = 0; s < n; ++s) {
    if (errors_[s]) {
      std::exception_ptr first = errors_[s];
      for (auto& e : errors_) e = nullptr;
      std::rethrow_exception(first);
    }
  }
}

void ThreadPool::worker(int w) {
  uint64_t seen = 0;  // the last job id this worker looked at
  // A job for this worker: a new one with more than w slices.
  auto mine = [&](uint64_t s) { return job_of(s) != seen && count_of(s) > w; };
  for (;;) {
    uint64_t s = state_.load(std::memory_order_acquire);
    // Jobs too small for this worker are skipped without resetting the
    // spin budget, so a run of them puts it to sleep.
    for (int i = 0; !mine(s) && !stop_.load() && i < kSpins; ++i) {
      seen = job_of(s);
      _mm_pause();
      s = state_.load(std::memory_order_acquire);
    }
    if (!mine(s) && !stop_.load()) {
      std::unique_lock<std::mutex> lock(mu_);
      Slot& slot = *slots_[w];
      slot.sleeping = true;
      ++sleepers_;
      slot.cv.wait(lock, [&] {
        s = state_.load();
        return stop_.load() || mine(s);
      });
      --sleepers_;
      slot.sleeping = false;
    }
    if (stop_.load()) return;
    seen = job_of(s);
    work();
  }
}

}  // namespace handgrad
