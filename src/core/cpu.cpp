// CPU features and the default thread count.
#include "handgrad/core/cpu.h"

#include <algorithm>
#include <thread>


namespace handgrad {

std::string cpu_features() {
  std::string s;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) s += "avx512f ";
  if (__builtin_cpu_supports("avx2")) s += "avx2 ";
  if (__builtin_cpu_supports("fma")) s += "fma ";
  if (__builtin_cpu_supports("sse4.2")) s += "sse4.2 ";
  if (!s.empty()) s.pop_back();
  return s.empty() ? "none detected" : s;
}

int default_threads() {
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace handgrad
