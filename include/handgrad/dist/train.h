#pragma once
// Data-parallel training over the ranks of an MPI job, bit-identical to one
// process. Code: src/dist/train_distributed.cpp; docs/distributed.md.
//
//   mpirun -np R handgrad train --threads T ...   (the same flags as one process)
//
// The batch (--batch-size, global) is cut into S = R * T slices, exactly as
// one process with --threads S cuts it (StepRunner::slices_for: the same
// adapt rule, so fewer slices for small batches, some ranks then idle);
// rank r computes its block of slices with T threads; the slice gradients
// are summed in slice order by a fixed-order reduce-scatter
// (src/dist/slice_reduce.h). Every rank holds the same weights after every
// step, and the run ends bit-identical to `handgrad train --threads S`.
// S is the run's `threads` setting (saved in its checkpoints), so resuming
// on any number of ranks continues the same run bit-identically.
//
// Every rank reads the data itself (a shared file system, or the same files
// on every host, is assumed). Rank 0 alone prints progress, evaluates and
// writes the run folder; the other ranks write nothing.
#include <functional>
#include <string>

#include "handgrad/core/error.h"
#include "handgrad/dist/job.h"
#include "handgrad/train/trainer.h"

namespace handgrad::dist {

struct DistOptions {
  // Compares a checksum of the parameters across ranks before the first
  // step and after every step; a difference ends the run with an error
  // naming the step and the rank.
  bool check_sync = false;
  // A collective waiting longer than this ends the job (0: never). It also
  // covers rank 0's evaluations and checkpoints, which the others wait for.
  double timeout_seconds = 300;
  // Once set up (every rank has loaded), on every rank; then after every
  // step (the steps done): e.g. for what a signal handler prints.
  std::function<void(const struct DistStats&)> on_start;
  std::function<void(long step)> on_step;
};

struct DistStats {
  int world_size = 1, rank = 0;
  int threads_per_rank = 1;  // this rank's step threads
  int slices = 1;            // S: the run's slices per batch (its `threads` setting)
  long steps = 0;            // steps this invocation ran
  // Per step, medians over the steps run (seconds): computing this rank's
  // slices, and the exchange (reduce-scatter + allgather + losses), which
  // includes waiting for the slowest rank; its minimum is closest to the
  // transfer alone.
  double compute_median = 0, exchange_median = 0, exchange_min = 0;
  double bytes_sent_per_step = 0;  // by this rank, in the exchange
  std::string out_dir;             // the run folder (rank 0 writes it)
  long first_step = 0;             // where the run started (> 0: resumed)
};

// A failure every rank throws alike, so that one line (rank 0's) reports it:
// a rank that could not set up (its own message, and which rank), a loss
// that stopped being finite, ranks whose parameters differ.
class AgreedError : public Error {
 public:
  AgreedError(int failed_rank, int world_size, std::string field, const std::string& msg,
              int exit_code)
      : Error(msg, exit_code), rank_(failed_rank), size_(world_size), field_(std::move(field)) {}
  int failed_rank() const { return rank_; }
  int world_size() const { return size_; }
  const std::string& field() const { return field_; }  // FieldError's, or ""

 private:
  int rank_, size_;
  std::string field_;
};

// Every rank of `job` calls this with the same options. Returns rank 0's
// result on rank 0 (the others' carries only the step count). Throws
// AgreedError on every rank alike, or Error on one rank for a failure of
// its own (the caller reports it and ends the job with job.abort()).
TrainResult train_distributed(Job& job, const TrainOptions& options, const DistOptions& d,
                              DistStats* stats);

}  // namespace handgrad::dist
