#pragma once
// What the CPU offers. Code: src/core/cpu.cpp. (The kernel path handgrad
// takes on it: kernels/path.h.)
#include <string>

namespace handgrad {

// "avx512f avx2 fma" etc., as detected at run time.
std::string cpu_features();
// Threads used for training when --threads is not given.
int default_threads();

}  // namespace handgrad
