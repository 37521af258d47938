#pragma once
// Where the tests find real MNIST: $HANDGRAD_DATA (the folder that CONTAINS
// mnist/), absolute or relative to the working directory or to the source
// tree (CI sets HANDGRAD_DATA=../shared/data relative to the clone); unset,
// the clone's ../shared/data. Empty when there is none.
#include <cstdlib>
#include <filesystem>
#include <string>

namespace handgrad::testing {

inline std::string mnist_dir() {
  namespace fs = std::filesystem;
  const char* env = std::getenv("HANDGRAD_DATA");
  const fs::path root = env && *env ? fs::path(env) : fs::path("../shared/data");
  for (const fs::path& base : {fs::current_path(), fs::path(HANDGRAD_SOURCE_DIR)}) {
    const fs::path p = root.is_absolute() ? root / "mnist" : base / root / "mnist";
    std::error_code ec;
    if (fs::is_directory(p, ec)) return fs::absolute(p).lexically_normal().string();
  }
  return {};
}

}  // namespace handgrad::testing
