// The fixed-order reduce-scatter of slice gradients (see slice_reduce.h).
#include "dist/slice_reduce.h"

#include <climits>
#include <cstring>

#include "handgrad/core/error.h"

namespace handgrad::dist {

SliceRange owned_slices(int used, int ranks, int rank) {
  const auto at = [&](int r) { return static_cast<int>(static_cast<long long>(used) * r / ranks); };
  return {at(rank), at(rank + 1) - at(rank)};
}

SliceReducer::SliceReducer(Comm& comm, size_t num_params) : comm_(comm), P_(num_params) {
  const int R = comm.size();
  const auto n = static_cast<size_t>(R);
  cstart_.resize(n);
  clen_.resize(n);
  for (int j = 0; j < R; ++j) {
    const auto b = static_cast<long long>(P_) * j / R, e = static_cast<long long>(P_) * (j + 1) / R;
    cstart_[static_cast<size_t>(j)] = static_cast<int>(b);
    clen_[static_cast<size_t>(j)] = static_cast<int>(e - b);
  }
  for (auto* v : {&scounts_, &sdispls_, &rcounts_, &rdispls_, &lcounts_, &ldispls_}) v->resize(n);
}

float* const* SliceReducer::buffers(int count) {
  if (static_cast<long long>(count) * static_cast<long long>(P_) > INT_MAX) {
    throw Error("distributed step: " + std::to_string(count) + " slices of " + std::to_string(P_) +
                " parameters exceed MPI's int counts; use fewer threads");
  }
  while (slices_.size() < static_cast<size_t>(count)) slices_.emplace_back(P_);
  ptrs_.clear();
  for (auto& s : slices_) ptrs_.push_back(s.data());
  return ptrs_.data();
}

// Step 1's send buffer: for each destination j, chunk j of every slice of
// this rank, slice after slice. One slice is already in that layout.
const float* SliceReducer::pack(SliceRange mine) {
  const int R = comm_.size();
  for (int j = 0; j < R; ++j) {
    const auto J = static_cast<size_t>(j);
    scounts_[J] = mine.count * clen_[J];
    sdispls_[J] = mine.count * cstart_[J];
  }
  if (mine.count == 0) return nullptr;
  if (mine.count == 1) return slices_[0].data();
  pack_.resize(static_cast<size_t>(mine.count) * P_);
  for (int j = 0; j < R; ++j) {
    const auto J = static_cast<size_t>(j);
    for (int i = 0; i < mine.count; ++i) {
      std::memcpy(pack_.data() + sdispls_[J] + static_cast<size_t>(i) * clen_[J],
                  slices_[static_cast<size_t>(i)].data() + cstart_[J],
                  sizeof(float) * static_cast<size_t>(clen_[J]));
    }
  }
  return pack_.data();
}

// Step 2: chunk `me` of slices 0..used-1, in slice order, folded into out.
void SliceReducer::fold(const StepRunner& runner, int used, float* out) {
  const auto me = static_cast<size_t>(comm_.rank());
  const auto len = static_cast<size_t>(clen_[me]);
  float* c = out + cstart_[me];
  std::memcpy(c, recv_.data(), sizeof(float) * len);
  for (int s = 1; s < used; ++s)
    runner.add_grads(c, recv_.data() + static_cast<size_t>(s) * len, len);
}

double SliceReducer::reduce(const StepRunner& runner, int used, SliceRange mine,
                            const double* losses, int n, float* out) {
  const int R = comm_.size();
  const auto me = static_cast<size_t>(comm_.rank());
  for (int r = 0; r < R; ++r) {
    const SliceRange o = owned_slices(used, R, r);
    const auto J = static_cast<size_t>(r);
    rcounts_[J] = o.count * clen_[me];
    rdispls_[J] = o.first * clen_[me];
    lcounts_[J] = o.count;
    ldispls_[J] = o.first;
  }
  recv_.resize(static_cast<size_t>(used) * static_cast<size_t>(clen_[me]));
  const float* send = pack(mine);
  comm_.alltoallv(send, scounts_.data(), sdispls_.data(), recv_.data(), rcounts_.data(),
                  rdispls_.data());
  fold(runner, used, out);
  comm_.allgatherv(out, clen_.data(), cstart_.data());
  sent_ = 0;
  for (int j = 0; j < R; ++j) {
    if (static_cast<size_t>(j) != me)
      sent_ +=
          static_cast<size_t>(scounts_[static_cast<size_t>(j)]) + static_cast<size_t>(clen_[me]);
  }
  // The losses: every rank's, in slice order, summed as StepRunner does.
  losses_.assign(static_cast<size_t>(used), 0.0);
  for (int i = 0; i < mine.count; ++i) losses_[static_cast<size_t>(mine.first + i)] = losses[i];
  comm_.allgatherv(losses_.data(), lcounts_.data(), ldispls_.data());
  double loss = 0.0;
  for (int s = 0; s < used; ++s) loss += losses_[static_cast<size_t>(s)];
  return loss / n;
}

}  // namespace handgrad::dist
