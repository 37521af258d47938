#pragma once
// Which SIMD kernel path this process takes. Code: src/kernels/dispatch.cpp.
// The path is picked once from the CPU's features (avx512, avx2, generic),
// or forced by HANDGRAD_KERNELS=avx512|avx2|generic|reference or
// set_kernel_path(); "reference" runs every layer's plain reference pass.
#include <string>

namespace handgrad {

struct KernelTable;

// The table of the current path; nullptr on the reference path.
const KernelTable* fast_kernels();
// "avx512", "avx2", "generic" or "reference".
const char* kernel_path();
// Forces a path ("auto" picks from the CPU). Throws FieldError("kernels")
// for an unknown name or one this CPU cannot run.
void set_kernel_path(const std::string& name);

}  // namespace handgrad
