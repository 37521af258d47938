#include "train/thread_pool.h"

#include <immintrin.h>
#include <sched.h>

namespace handgrad {

namespace {
// About 50-100 microseconds of spinning before an idle worker sleeps.
constexpr int kSpins = 20000;
uint64_t job_of(uint64_t s) { return s >> 32; }
int count_of(uint64_t s) { return static_cast<int>((s >> 16) & 0xffff); }
int next_of(uint64_t s) { return static_cast<int>(s & 0xffff); }
}  // namespace

ThreadPool::ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads) {
  for (int t = 1; t < threads_; ++t) workers_.emplace_back([this] { worker(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
    state_.store((job_of(state_.load()) + 1) << 32);
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
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
  if (threads_ == 1) {
    for (int s = 0; s < n; ++s) fn(ctx, s);
    return;
  }
  if (errors_.size() < static_cast<size_t>(n)) errors_.resize(n);  // first call only
  fn_ = fn;
  ctx_ = ctx;
  done_.store(0, std::memory_order_relaxed);
  {
    // The lock orders the new job with a worker about to sleep: no lost wake-up.
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t job = job_of(state_.load(std::memory_order_relaxed)) + 1;
    state_.store((job << 32) | (static_cast<uint64_t>(n) << 16), std::memory_order_release);
  }
  if (sleepers_.load(std::memory_order_acquire) > 0) cv_.notify_all();
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

void ThreadPool::worker() {
  uint64_t seen = 0;
  for (;;) {
    uint64_t s = state_.load(std::memory_order_acquire);
    for (int i = 0; job_of(s) == job_of(seen) && i < kSpins; ++i) {
      _mm_pause();
      s = state_.load(std::memory_order_acquire);
    }
    if (job_of(s) == job_of(seen)) {
      std::unique_lock<std::mutex> lock(mu_);
      sleepers_.fetch_add(1);
      cv_.wait(lock, [&] { return job_of(state_.load()) != job_of(seen); });
      sleepers_.fetch_sub(1);
      s = state_.load(std::memory_order_acquire);
    }
    seen = s;
    if (stop_.load()) return;
    work();
  }
}

}  // namespace handgrad
