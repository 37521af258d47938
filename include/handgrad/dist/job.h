#pragma once
// The processes of one distributed job (MPI_COMM_WORLD), as far as the
// rest of handgrad needs to know: who am I, how many are we, how to end
// all of us. No MPI types here: only src/dist/comm_mpi.cpp includes mpi.h,
// and a build without MPI compiles src/dist/comm_none.cpp instead.
// Code: src/dist/job.cpp, src/dist/comm_*.cpp.
#include <memory>
#include <string>

namespace handgrad::dist {

// "Open MPI v4.1.4, ..." (the library's own version string), or why not:
// "off (built without MPI: install libopenmpi-dev and rebuild)".
std::string mpi_info();
bool built_with_mpi();

// What the launcher (mpirun / mpiexec / srun) told this process in its
// environment before main: the job's size (1 when not launched by one) and
// this process's rank (0). Read without starting MPI, so a plain
// `handgrad train` never initialises it.
int launched_world_size();
int launched_rank();

class Comm;  // src/dist/comm.h

// MPI for the lifetime of the object: initialised in the constructor
// (errors returned, not fatal), finalised in the destructor. Throws Error
// when this binary was built without MPI.
class Job {
 public:
  Job();
  ~Job();
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  int rank() const;
  int size() const;
  // Ends every process of the job with `code` (MPI_Abort); for a failure on
  // one rank while the others wait in a collective.
  [[noreturn]] void abort(int code);
  Comm& comm();

 private:
  std::unique_ptr<Comm> comm_;
};

}  // namespace handgrad::dist
