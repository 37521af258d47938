// handgrad info: what this binary is and what it will use.
#include <cstdio>
#include <thread>

#include "command.h"
#include "handgrad/core/cpu.h"
#include "handgrad/dist/job.h"
#include "handgrad/export/onnx.h"
#include "handgrad/kernels/path.h"

namespace handgrad::cli {
namespace {

int run() {
  std::printf("handgrad %s\n", HANDGRAD_VERSION);
  std::printf("compiler: g++ %s\n", __VERSION__);
  std::printf("build type: %s\n", HANDGRAD_BUILD_TYPE);
  std::printf("cpu features: %s\n", cpu_features().c_str());
  std::printf("kernel path: %s\n", kernel_path());
  std::printf("threads: %u hardware (default for training: %d)\n",
              std::thread::hardware_concurrency(), default_threads());
  std::printf("onnx export: %s\n", onnx_export_info().c_str());
  std::printf("mpi: %s\n", dist::mpi_info().c_str());
  return 0;
}

const Register reg{{"info", "Version, compiler, build type, SIMD level and threads",
                    [](CLI::App&) { return [] { return run(); }; }}};

}  // namespace
}  // namespace handgrad::cli
