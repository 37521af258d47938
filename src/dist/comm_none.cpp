// A build without MPI: the same interface, refusing to start. `handgrad
// info` says so, and `mpirun -np N handgrad train` fails with one line
// instead of running N unrelated trainings into one folder.
#include <cstdlib>

#include "dist/comm.h"
#include "handgrad/core/error.h"
#include "handgrad/dist/job.h"

namespace handgrad::dist {

namespace {
[[noreturn]] void refuse() {
  throw Error(
      "this handgrad was built without MPI (install libopenmpi-dev, then configure "
      "with -DHANDGRAD_MPI=ON and rebuild)");
}
}  // namespace

bool built_with_mpi() {
  return false;
}
std::string mpi_info() {
  return "off (built without MPI: install libopenmpi-dev and rebuild)";
}

Comm::Comm() {
  refuse();
}
Comm::~Comm() = default;
void Comm::alltoallv(const float*, const int*, const int*, float*, const int*, const int*) {
  refuse();
}
void Comm::allgatherv(float*, const int*, const int*) {
  refuse();
}
void Comm::allgatherv(double*, const int*, const int*) {
  refuse();
}
std::vector<uint64_t> Comm::allgather(uint64_t) {
  refuse();
}
std::vector<std::string> Comm::allgather(const std::string&) {
  refuse();
}
void Comm::abort(int code) {
  std::_Exit(code);
}

}  // namespace handgrad::dist
