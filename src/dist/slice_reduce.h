#pragma once
// The exact sum of a step's slice gradients over the ranks of a job.
//
// One process with S threads computes g = g0; g += g1; ...; g += g(used-1)
// (StepRunner::loss_and_grad): a left fold in slice order, one float
// addition per element and slice. Here the slices live on different ranks
// (rank r holds the contiguous block owned_slices(used, R, r)), and the
// same fold is done as a fixed-order reduce-scatter:
//
//   1. the parameters are cut into R chunks; MPI_Alltoallv sends chunk j of
//      every slice to rank j, which thus holds chunk j of slices 0..used-1
//      in slice order;
//   2. rank j folds them: c = s0; c += s1; ... with the runner's own add
//      (StepRunner::add_grads);
//   3. MPI_Allgatherv gives every rank every folded chunk.
//
// Element i of the result is computed by exactly the additions, in exactly
// the order, that one process with S threads does for element i (addition
// is element-wise, so which rank folds which elements changes nothing), so
// the gradient is bit-identical to that process's and the same on every
// rank. MPI's own reductions (MPI_Allreduce, MPI_Reduce_scatter) are not
// used: the standard lets them associate the sum in any tree, and a tree
// ((g0+g1)+(g2+g3)) rounds differently from the fold.
//
// Bytes per rank and step with one slice per rank: (R-1)/R * 4P sent in
// step 1 and again in step 3, as a ring allreduce. A rank holding k slices
// sends k times as much in step 1.
#include <cstddef>
#include <vector>

#include "dist/comm.h"
#include "handgrad/train/step_runner.h"

namespace handgrad::dist {

struct SliceRange {
  int first = 0, count = 0;  // slices [first, first + count)
};

// The block of the `used` slices that rank `rank` of `ranks` computes:
// [used*rank/ranks, used*(rank+1)/ranks). Contiguous and in rank order, so
// rank order is slice order; with used == ranks, rank r holds slice r.
SliceRange owned_slices(int used, int ranks, int rank);

class SliceReducer {
 public:
  SliceReducer(Comm& comm, size_t num_params);

  // `count` gradient buffers of num_params floats for this rank's slices.
  float* const* buffers(int count);

  // out (num_params floats, on every rank) = the fold of all `used`
  // slices; this rank's are buffers(mine.count), their summed losses in
  // `losses`. Returns the batch-mean loss (l0 + l1 + ...) / n, summed in
  // slice order as StepRunner does.
  double reduce(const StepRunner& runner, int used, SliceRange mine, const double* losses, int n,
                float* out);

  // Floats this rank sent in the last reduce (steps 1 and 3).
  size_t floats_sent() const { return sent_; }

 private:
  Comm& comm_;
  size_t P_;
  std::vector<std::vector<float>> slices_;
  std::vector<float*> ptrs_;
  std::vector<float> pack_, recv_;
  std::vector<double> losses_;
  std::vector<int> cstart_, clen_, scounts_, sdispls_, rcounts_, rdispls_, lcounts_, ldispls_;
  size_t sent_ = 0;

  const float* pack(SliceRange mine);
  void fold(const StepRunner& runner, int used, float* out);
};

}  // namespace handgrad::dist
