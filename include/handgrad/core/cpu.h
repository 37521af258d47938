#pragma once
// What the CPU offers and which kernel path handgrad takes on it.
#include <string>

namespace handgrad {

// "avx512f avx2 fma" etc., as detected at run time.
std::string cpu_features();
// The SIMD path the fast kernels dispatch to on this CPU ("reference" while
// no fast kernel is built).
const char* kernel_path();
// Threads used for training when --threads is not given.
int default_threads();

}  // namespace handgrad
