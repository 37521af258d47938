#pragma once
// A team: the threads that run one training step's ops together, each
// computing its share of every op (its samples, or a part of a weight
// gradient), with a barrier where an op needs what the others computed.
// Every member computes each output element exactly as one thread alone
// would (shares are contiguous ranges; no element is split over members),
// so a team's step is bit-identical to a single thread's.
// Code: src/core/team.cpp.
#include <atomic>
#include <utility>

namespace handgrad {

// A barrier for a fixed number of threads that spin (a step's barriers are
// microseconds apart) and yield after a while (a descheduled member on a
// loaded machine must get the core). abort() releases every waiter with
// TeamAborted: a member that fails does not leave the others waiting.
class SpinBarrier {
 public:
  explicit SpinBarrier(int members) : members_(members) {}
  void wait();
  void abort();
  // Re-arms an aborted barrier (between steps, when no one waits).
  void reset();

 private:
  int members_;
  std::atomic<int> arrived_{0};
  std::atomic<unsigned> generation_{0};
  std::atomic<bool> aborted_{false};
};

struct TeamAborted {};

class Team {
 public:
  // A team of one: the plan's plain single-thread pass.
  Team() = default;
  Team(int rank, int size, SpinBarrier* barrier) : rank_(rank), size_(size), barrier_(barrier) {}

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool lead() const { return rank_ == 0; }
  bool alone() const { return size_ == 1; }
  // This member's part [begin, end) of n items: contiguous, in rank order.
  std::pair<int, int> share(int n) const {
    const long long b = static_cast<long long>(n) * rank_ / size_;
    const long long e = static_cast<long long>(n) * (rank_ + 1) / size_;
    return {static_cast<int>(b), static_cast<int>(e)};
  }
  std::pair<size_t, size_t> share(size_t n) const {
    return {n * rank_ / size_, n * (rank_ + 1) / size_};
  }
  void sync() const {
    if (barrier_) barrier_->wait();
  }

 private:
  int rank_ = 0, size_ = 1;
  SpinBarrier* barrier_ = nullptr;
};

// The team of one that a pass without a team runs as.
const Team& solo_team();

}  // namespace handgrad
