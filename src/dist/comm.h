#pragma once
// The few collectives a data-parallel step needs, over MPI_COMM_WORLD
// (src/dist/comm_mpi.cpp) or nothing (comm_none.cpp, a build without MPI,
// whose constructor refuses). Every call is collective: all ranks make the
// same calls in the same order. A failed call throws Error naming it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace handgrad::dist {

class Comm {
 public:
  Comm();   // MPI_Init_thread (FUNNELED), MPI_ERRORS_RETURN on the world
  ~Comm();  // MPI_Finalize
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

  // Rank j receives rcounts[r] floats from rank r at recv + rdispls[r];
  // rank r sends scounts[j] floats from send + sdispls[j] to rank j.
  void alltoallv(const float* send, const int* scounts, const int* sdispls, float* recv,
                 const int* rcounts, const int* rdispls);
  // In place: rank r's counts[r] floats at buf + displs[r] reach every rank.
  void allgatherv(float* buf, const int* counts, const int* displs);
  void allgatherv(double* buf, const int* counts, const int* displs);
  // Every rank's `value`, in rank order.
  std::vector<uint64_t> allgather(uint64_t value);
  // Every rank's string, in rank order (lengths first, then the bytes).
  std::vector<std::string> allgather(const std::string& s);
  [[noreturn]] void abort(int code);

 private:
  int rank_ = 0, size_ = 1;
};

}  // namespace handgrad::dist
