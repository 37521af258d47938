#pragma once
// What the CPU offers. Code: src/core/cpu.cpp. (The kernel path handgrad
// takes on it: kernels/path.h.)
#include <string>

namespace handgrad {

// "avx512f avx2 fma" etc., as detected at run time.
std::string cpu_features();
// Threads used for training when --threads is not given.
int default_threads();

// The most threads any command or StepRunner accepts: 4 x the hardware
// threads, at least 16. Past the hardware threads each extra thread only
// adds a gradient buffer to zero and sum and a thinner slice, so speed can
// only drop; a few times over still works (tests, and MPI ranks sharing
// cores, oversubscribe a little), while 10,000 threads on 2 cores ran at 6
// samples/s. See src/core/threads.cpp.
int max_threads();
// "the limit is 16 (4 x the 2 hardware threads, at least 16)".
std::string threads_limit_text();
// Why `n` is not a valid thread count ("" when it is): below 1, or above
// max_threads().
std::string threads_problem(long long n);
// A warning for a valid count above the hardware threads ("" otherwise).
std::string threads_warning(long long n);

}  // namespace handgrad
