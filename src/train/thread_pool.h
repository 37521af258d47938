#pragma once
// A persistent pool for the training step: threads-1 workers plus the
// calling thread. run(f) calls f(t) once for every t in [0, threads) and
// returns when all have finished. Workers spin briefly between steps (a step
// is tens of microseconds, far shorter than a sleep/wake), then sleep on a
// condition variable so an idle pool costs no CPU.
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace handgrad {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return threads_; }
  // Rethrows the first exception a task threw (after all have finished).
  // f is called by reference (no std::function, so no allocation per step).
  template <class F>
  void run(F& f) {
    run_impl(&invoke<F>, &f);
  }

 private:
  template <class F>
  static void invoke(void* f, int t) {
    (*static_cast<F*>(f))(t);
  }
  void run_impl(void (*fn)(void*, int), void* ctx);
  void worker(int t);

  int threads_;
  std::vector<std::thread> workers_;
  void (*fn_)(void*, int) = nullptr;
  void* ctx_ = nullptr;
  std::atomic<unsigned> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<int> sleepers_{0};
  std::vector<std::exception_ptr> errors_;
};

}  // namespace handgrad
