// How many threads a command may ask for (see cpu.h for why the limit).
#include <algorithm>
#include <string>
#include <thread>

#include "handgrad/core/cpu.h"

namespace handgrad {
namespace {
int hardware_threads() {
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}
}  // namespace

int max_threads() {
  return std::max(16, 4 * hardware_threads());
}

std::string threads_limit_text() {
  return "the limit is " + std::to_string(max_threads()) + " (4 x the " +
         std::to_string(hardware_threads()) + " hardware threads, at least 16)";
}

std::string threads_problem(long long n) {
  if (n < 1) return "must be >= 1, got " + std::to_string(n);
  if (n > max_threads()) return std::to_string(n) + " threads: " + threads_limit_text();
  return "";
}

std::string threads_warning(long long n) {
  if (n <= hardware_threads()) return "";
  return std::to_string(n) + " threads on " + std::to_string(hardware_threads()) +
         " hardware threads: they take turns on the cores, so the step gets slower, not faster";
}

}  // namespace handgrad
