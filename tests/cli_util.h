#pragma once
// Helpers for tests that run the real `handgrad` binary.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace handgrad::test {

struct CliResult {
  int code;
  std::string out;  // stdout and stderr together
};

// Runs `handgrad ARGS` in a shell, capturing output and the exit code.
inline CliResult run_cli(const std::string& args, const std::filesystem::path& dir) {
  const std::string log = (dir / "cli_output.txt").string();
  const std::string cmd = std::string(HANDGRAD_BIN) + " " + args + " > " + log + " 2>&1";
  const int status = std::system(cmd.c_str());
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

// A fresh folder under the test temp dir, removed by the destructor.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag)
      : path(std::filesystem::path(::testing::TempDir()) /
             ("hg_" + tag + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

inline bool is_png(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char sig[8] = {};
  f.read(sig, 8);
  return f && std::string(sig + 1, 3) == "PNG";
}

}  // namespace handgrad::test
