// The job: what the launcher's environment says, and MPI's lifetime.
#include "handgrad/dist/job.h"

#include <cstdlib>
#include <initializer_list>
#include <string>

#include "dist/comm.h"

namespace handgrad::dist {

namespace {

// The first of these variables that is set and a number: Open MPI's
// mpirun sets OMPI_COMM_WORLD_*, MPICH's Hydra (and srun --mpi=pmi2) PMI_*.
// Slurm's own SLURM_NTASKS is not used: a batch script sees it before any
// srun has started a task.
int env_int(std::initializer_list<const char*> names, int fallback) {
  for (const char* name : names) {
    const char* v = std::getenv(name);
    if (!v || !*v) continue;
    char* end = nullptr;
    const long x = std::strtol(v, &end, 10);
    if (*end == '\0' && x >= 0) return static_cast<int>(x);
  }
  return fallback;
}

}  // namespace

int launched_world_size() {
  return env_int({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}, 1);
}

int launched_rank() {
  return env_int({"OMPI_COMM_WORLD_RANK", "PMI_RANK"}, 0);
}

Job::Job() : comm_(std::make_unique<Comm>()) {}
Job::~Job() = default;
int Job::rank() const {
  return comm_->rank();
}
int Job::size() const {
  return comm_->size();
}
void Job::abort(int code) {
  comm_->abort(code);
}
Comm& Job::comm() {
  return *comm_;
}

}  // namespace handgrad::dist
