#pragma once
// The tests' one helpers header (namespace handgrad::test): the real
// `handgrad` binary run as a user runs it, temporary folders, and where the
// real MNIST is.
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
#include <vector>

#include "handgrad/core/error.h"
#include "handgrad/data/idx.h"

namespace handgrad::test {

struct CliResult {
  int code;  // exit status, or 128 + signal
  std::string out, err;
  std::string all;  // stderr then stdout: a final --json line stays last
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// A shell command as a user would run it: exit status (128 + signal when
// killed), stdout, stderr.
inline CliResult run_shell(const std::string& cmd) {
  static int counter = 0;
  const std::string base =
      ::testing::TempDir() + "sh_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  const int status =
      std::system((cmd + " >" + base + ".out 2>" + base + ".err </dev/null").c_str());
  CliResult r;
  if (WIFEXITED(status)) {
    r.code = WEXITSTATUS(status);
  } else {
    r.code = 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  }
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  r.all = r.err + r.out;
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return r;
}

// `handgrad ARGS` (shell words), with `env` assignments before it.
inline CliResult run_cli(const std::string& args, const std::string& env = "") {
  return run_shell(env + " " + HANDGRAD_BIN + " " + args);
}

// 'text' for a shell command line.
inline std::string quote(const std::string& s) {
  return "'" + s + "'";
}

inline int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// A fresh, empty folder <test temp dir>/hg_<pid>/<name>.
inline std::string temp_dir(const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path d = fs::path(::testing::TempDir()) / ("hg_" + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

// metrics.csv without its timing column: step, epoch, losses, accuracy, lr.
inline std::string metrics_without_timing(const std::string& path) {
  std::istringstream in(slurp(path));
  std::string out;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cols;
    std::istringstream row(line);
    for (std::string c; std::getline(row, c, ',');) cols.push_back(c);
    if (cols.size() != 7) return "bad row: " + line;
    cols.erase(cols.begin() + 5);  // samples_per_second
    for (const auto& c : cols) out += c + ",";
    out += "\n";
  }
  return out;
}

// temp_dir(tag), removed again when the test is done with it.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag) : path(temp_dir(tag)) {}
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

// Where the tests find real MNIST: where the CLI finds it (idx.h's
// find_dataset_dir: $HANDGRAD_DATA/mnist, then ~/.cache/handgrad/mnist, where
// `handgrad data fetch mnist` puts it), then the clone's ../shared/data.
// $HANDGRAD_DATA (the folder that CONTAINS mnist/) may also be relative to
// the working directory or to the source tree (CI sets
// HANDGRAD_DATA=../shared/data relative to the clone). The result is
// absolute (tests pass it to the CLI as --data-dir); empty when there is
// none, and then the tests skip with kNoMnist (scripts/test.sh counts skips
// by their message).
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

// mpirun as the MPI tests run it, or "" when this build has no MPI
// (HANDGRAD_MPIEXEC, set by CMake). All ranks on this host, talking over
// shared memory and loopback only; oversubscribed (4 ranks on 2 cores),
// unbound (parallel tests would pin their ranks to the same core), yielding
// when idle; -q keeps mpirun's own help boxes out of stderr, so a failure
// reads as handgrad's one line. Root (CI) needs --allow-run-as-root.
// Followed by "-np N program args" (or several such contexts, ':' between).
inline std::string mpirun_base() {
  const std::string exe = HANDGRAD_MPIEXEC;
  if (exe.empty()) return {};
  std::string cmd = exe +
                    " -q --oversubscribe --bind-to none --mca mpi_yield_when_idle 1"
                    " --mca btl self,vader,tcp --mca btl_tcp_if_include lo"
                    " --mca oob_tcp_if_include lo";
  if (::geteuid() == 0) cmd += " --allow-run-as-root";
#if defined(__SANITIZE_ADDRESS__)
  // Open MPI's components are dlopen'ed and unloaded at MPI_Finalize, so
  // what they keep (~120 KB per rank) is reported as leaks of "<unknown
  // module>" that no suppression can name. The ranks (local, so they inherit
  // mpirun's environment, in every app context) run without leak detection;
  // every other test keeps it for handgrad's own code.
  cmd = "env ASAN_OPTIONS=detect_leaks=0 " + cmd;
#endif
  return cmd;
}

// `mpirun -np N` (see mpirun_base), or "" without MPI.
inline std::string mpirun(int np) {
  const std::string base = mpirun_base();
  return base.empty() ? base : base + " -np " + std::to_string(np);
}

}  // namespace handgrad::test
