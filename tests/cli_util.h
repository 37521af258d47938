#pragma once
// Runs the real `handgrad` binary in a shell and captures what a user sees.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace handgrad {

struct CliResult {
  int code;  // exit status, or 128 + signal
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// `args` is appended to the binary's path as shell words.
inline CliResult run_cli(const std::string& args, const std::string& env = "") {
  static int counter = 0;
  const std::string base = ::testing::TempDir() + "cli_" + std::to_string(::getpid()) + "_" +
                           std::to_string(counter++);
  const std::string cmd = env + " " + HANDGRAD_BIN + " " + args + " >" + base + ".out 2>" + base +
                          ".err </dev/null";
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
