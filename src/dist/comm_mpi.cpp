// The collectives of comm.h on MPI_COMM_WORLD. The only file that includes
// mpi.h. Errors are returned (MPI_ERRORS_RETURN), not fatal, so a failed
// call becomes one line naming it instead of MPI's own abort.
#include <mpi.h>

#include <string>

#include "dist/comm.h"
#include "handgrad/core/error.h"
#include "handgrad/dist/job.h"

namespace handgrad::dist {

namespace {

void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw Error(std::string(call) + " failed: " + std::string(text, static_cast<size_t>(len)));
}

}  // namespace

bool built_with_mpi() {
  return true;
}

std::string mpi_info() {
  char v[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(v, &len);
  std::string s(v, static_cast<size_t>(len));
  const auto cut = s.find_first_of(",\n");  // "Open MPI v4.1.4, package: ..."
  if (cut != std::string::npos) s.resize(cut);
  return s + " (MPI " + std::to_string(MPI_VERSION) + "." + std::to_string(MPI_SUBVERSION) + ")";
}

Comm::Comm() {
  int provided = 0;
  // The step's threads never call MPI; only the main thread does.
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Comm::~Comm() {
  MPI_Finalize();
}

void Comm::alltoallv(const float* send, const int* scounts, const int* sdispls, float* recv,
                     const int* rcounts, const int* rdispls) {
  check(MPI_Alltoallv(send, scounts, sdispls, MPI_FLOAT, recv, rcounts, rdispls, MPI_FLOAT,
                      MPI_COMM_WORLD),
        "MPI_Alltoallv");
}

void Comm::allgatherv(float* buf, const int* counts, const int* displs) {
  check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, counts, displs, MPI_FLOAT,
                       MPI_COMM_WORLD),
        "MPI_Allgatherv");
}

void Comm::allgatherv(double* buf, const int* counts, const int* displs) {
  check(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, counts, displs, MPI_DOUBLE,
                       MPI_COMM_WORLD),
        "MPI_Allgatherv");
}

std::vector<uint64_t> Comm::allgather(uint64_t value) {
  std::vector<uint64_t> all(static_cast<size_t>(size_));
  check(MPI_Allgather(&value, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, MPI_COMM_WORLD),
        "MPI_Allgather");
  return all;
}

std::vector<std::string> Comm::allgather(const std::string& s) {
  const int len = static_cast<int>(s.size());
  std::vector<int> lens(static_cast<size_t>(size_)), displs(static_cast<size_t>(size_));
  check(MPI_Allgather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather");
  int total = 0;
  for (int r = 0; r < size_; ++r) {
    displs[static_cast<size_t>(r)] = total;
    total += lens[static_cast<size_t>(r)];
  }
  std::string bytes(static_cast<size_t>(total), '\0');
  check(MPI_Allgatherv(s.data(), len, MPI_CHAR, bytes.data(), lens.data(), displs.data(), MPI_CHAR,
                       MPI_COMM_WORLD),
        "MPI_Allgatherv");
  std::vector<std::string> out;
  for (int r = 0; r < size_; ++r) {
    out.push_back(bytes.substr(static_cast<size_t>(displs[static_cast<size_t>(r)]),
                               static_cast<size_t>(lens[static_cast<size_t>(r)])));
  }
  return out;
}

void Comm::abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; this says so to the compiler
}

}  // namespace handgrad::dist
