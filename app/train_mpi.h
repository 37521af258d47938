#pragma once
// `mpirun -np N handgrad train ...`: the train command as one rank of an MPI
// job (include/handgrad/dist/train.h), with the flags only such a run reads
// and its failure policy: one line per failure, from rank 0 when every rank
// knows it, from the failing rank (then the job is aborted) when only it
// does. Code: app/train_mpi.cpp.
#include <CLI/CLI.hpp>
#include <functional>

#include "handgrad/dist/train.h"
#include "handgrad/train/trainer.h"

namespace handgrad::cli {

struct MpiFlags {
  bool check_sync = false;
  double timeout = 300;
};

void add_mpi_flags(CLI::App& sub, MpiFlags& f);

// Whether the launcher started this process as one of several.
bool launched_by_mpi();

// Runs the training as this rank; report(result, stats) runs on rank 0
// only. Returns this rank's exit code.
using MpiReport = std::function<void(const TrainResult&, const dist::DistStats&)>;
int run_train_mpi(const TrainOptions& t, const MpiFlags& f, const MpiReport& report);

}  // namespace handgrad::cli
