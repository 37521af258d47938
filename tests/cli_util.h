#pragma once
// Runs the real `handgrad` binary in a shell and captures what a user sees.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace handgrad {

struct CliResult {
  int code;  // exit status, or 128 + signal
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// `args` is appended to the binary's path as shell words.
inline CliResult run_cli(const std::string& args, const std::string& env = "") {
  static int counter = 0;
  const std::string base =
      ::testing::TempDir() + "cli_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  const std::string cmd =
      env + " " + HANDGRAD_BIN + " " + args + " >" + base + ".out 2>" + base + ".err </dev/null";
  const int status = std::system(cmd.c_str());
  CliResult r;
  if (WIFEXITED(status)) {
    r.code = WEXITSTATUS(status);
  } else {
    r.code = 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  }
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return r;
}

inline int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace handgrad

// Helpers of the boundary tests (part2): output of stdout and stderr together.
namespace handgrad::test {

struct CliResult {
  int code;
  std::string out;  // stdout and stderr together
};

// `handgrad ARGS` with stderr then stdout in one string, for tests that
// only look for words in what the user saw.
inline CliResult run_cli(const std::string& args) {
  const handgrad::CliResult r = handgrad::run_cli(args);
  return {r.code, r.err + r.out};  // stdout last: its final line is the --json summary
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
