#pragma once
// Where the tests find real MNIST: where the CLI finds it (idx.h's
// find_dataset_dir: $HANDGRAD_DATA/mnist, then ~/.cache/handgrad/mnist, where
// `handgrad data fetch mnist` puts it), then the clone's ../shared/data.
// $HANDGRAD_DATA (the folder that CONTAINS mnist/) may also be relative to
// the working directory or to the source tree (CI sets
// HANDGRAD_DATA=../shared/data relative to the clone). The result is
// absolute (tests pass it to the CLI as --data-dir); empty when there is
// none, and then the tests skip with kNoMnist.
#include <cstdlib>
#include <filesystem>
#include <string>

#include "handgrad/core/error.h"
#include "handgrad/data/idx.h"

namespace handgrad::testing {

inline constexpr const char* kNoMnist =
    "no MNIST: looked in $HANDGRAD_DATA/mnist, ~/.cache/handgrad/mnist and ../shared/data/mnist "
    "(run `handgrad data fetch mnist` or set HANDGRAD_DATA to the folder containing mnist/)";

inline std::string mnist_dir() {
  namespace fs = std::filesystem;
  // A folder with all four files (find_dataset_dir's own check), or "".
  auto holds_mnist = [](const fs::path& dir) -> std::string {
    try {
      return fs::absolute(find_dataset_dir("mnist", dir.string())).lexically_normal().string();
    } catch (const Error&) {
      return {};
    }
  };
  const char* env = std::getenv("HANDGRAD_DATA");
  if (env && *env) {
    const fs::path root(env);
    for (const fs::path& base : {fs::current_path(), fs::path(HANDGRAD_SOURCE_DIR)}) {
      const fs::path p = root.is_absolute() ? root / "mnist" : base / root / "mnist";
      if (std::string d = holds_mnist(p); !d.empty()) return d;
    }
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    if (std::string d = holds_mnist(fs::path(home) / ".cache/handgrad/mnist"); !d.empty()) return d;
  }
  for (const fs::path& base : {fs::current_path(), fs::path(HANDGRAD_SOURCE_DIR)}) {
    if (std::string d = holds_mnist(base / "../shared/data/mnist"); !d.empty()) return d;
  }
  return {};
}

}  // namespace handgrad::testing
