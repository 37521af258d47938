#pragma once
// The real consumers of an exported model, for the ONNX tests:
//   python3-onnx's checker and shape inference (tests/export/check_model.py)
//   ONNX Runtime from npm (tests/export/ort_compare.js), installed by
//   scripts/npm_deps.sh into $HANDGRAD_NPM (default ~/.cache/handgrad/npm).
// Each says why it is unavailable, so a test can skip saying so.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "support/test_util.h"

namespace handgrad::onnx_test {

inline std::string npm_dir() {
  const char* env = std::getenv("HANDGRAD_NPM");
  if (env && *env) return env;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/nonexistent") + "/.cache/handgrad/npm";
}

using test::CliResult;
using test::run_shell;

// Empty when usable, else why not.
inline std::string python_onnx_missing() {
  static const bool ok = std::system("/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1") == 0;
  return ok ? "" : "/usr/bin/python3 cannot import onnx (Debian's python3-onnx)";
}

inline std::string ort_missing() {
  if (std::system("node --version >/dev/null 2>&1") != 0) return "node is not on PATH";
  const std::string pkg = npm_dir() + "/node_modules/onnxruntime-node/package.json";
  if (!std::filesystem::exists(pkg)) {
    return "no onnxruntime-node in " + npm_dir() + " (run scripts/npm_deps.sh)";
  }
  return "";
}

inline std::string source(const std::string& rel) {
  return std::string(HANDGRAD_SOURCE_DIR) + "/" + rel;
}

// check_model.py's JSON; fails the test when the checker refuses the model.
inline nlohmann::json check_with_onnx(const std::string& model) {
  const CliResult r =
      run_shell("/usr/bin/python3 " + source("tests/export/check_model.py") + " " + model);
  EXPECT_EQ(r.code, 0) << r.err;
  return r.code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json{};
}

// ort_compare.js's JSON (batch 0: the model's batch is dynamic).
inline nlohmann::json compare_in_ort(const std::string& model, const std::string& dump, int batch) {
  const CliResult r = run_shell("NODE_PATH=" + npm_dir() + "/node_modules node " +
                                source("tests/export/ort_compare.js") + " " + model + " " + dump +
                                " " + std::to_string(batch));
  EXPECT_EQ(r.code, 0) << r.err;
  return r.code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json{};
}

}  // namespace handgrad::onnx_test
