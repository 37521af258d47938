#pragma once
// A persistent pool for the training step: threads-1 workers plus the
// calling thread. run(n, f) calls f(s) exactly once for every slice s in
// [0, n) and returns when all have finished. Slices are claimed, not
// assigned: whichever thread is running takes the next one, so on a loaded
// machine a descheduled worker never stalls the step (the caller just does
// its slices too). Results stay bit-identical as long as f's output depends
// only on s, never on which thread ran it.
//
// Worker w (1..threads-1) takes part only in jobs of more than w slices: a
// job of one slice runs on the caller alone, and the workers a smaller job
// does not need stay asleep. Idle workers spin briefly (a step is tens of
// microseconds, shorter than a sleep/wake), then sleep on their own
// condition variable and cost no CPU.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace handgrad {

class ThreadPool {
 public:
  // Throws Error "cannot start N worker threads: ..." (after stopping the
  // workers it did start) when the system refuses a thread, and for more
  // than max_threads() (cpu.h).
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return threads_; }
  // n <= 65535. Rethrows the first exception (by slice) after all finished.
  // f is called by reference (no std::function, so no allocation per step).
  template <class F>
  void run(int n, F& f) {
    run_impl(n, &invoke<F>, &f);
  }

 private:
  template <class F>
  static void invoke(void* f, int s) {
    (*static_cast<F*>(f))(s);
  }
  void run_impl(int n, void (*fn)(void*, int), void* ctx);
  // Claims and runs slices of the current job until none are left.
  void work();
  void worker(int w);
  // Wakes every worker and joins them (destructor, failed constructor).
  void stop_workers();

  // A worker's bed: it sleeps on its own condition variable, so a job
  // wakes only the workers it needs.
  struct Slot {
    std::condition_variable cv;
    bool sleeping = false;  // guarded by mu_
  };

  int threads_;
  std::vector<std::thread> workers_;
  std::vector<std::unique_ptr<Slot>> slots_;  // index = worker number (0 unused)
  // The job: fn_/ctx_ are stable while any of its slices is unfinished.
  void (*fn_)(void*, int) = nullptr;
  void* ctx_ = nullptr;
  // job id (high 32 bits) | slice count (bits 16-31) | next slice (bits 0-15)
  std::atomic<uint64_t> state_{0};
  std::atomic<int> done_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  int sleepers_ = 0;                        // guarded by mu_
  std::vector<std::exception_ptr> errors_;  // per slice
};

}  // namespace handgrad
