#pragma once
// Running a helper program (npm, tar) and a scratch folder for its output.
#include <string>
#include <vector>

namespace handgrad {

// Runs argv (looked up in PATH) in cwd, stdin from /dev/null, stdout and
// stderr appended to `log`. Returns the exit status: 127 if it could not be
// started, 128 + signal if it was killed.
int run_process(const std::vector<std::string>& argv, const std::string& cwd,
                const std::string& log);

// The last non-empty line of a text file ("" if unreadable): the error a
// failed helper printed.
std::string last_line(const std::string& path);

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it
// when it goes out of scope.
struct ScratchDir {
  std::string path;
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
};

}  // namespace handgrad
