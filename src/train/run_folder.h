#pragma once
// Claiming a run folder (issue 14, item 3). A Session holds DIR/.lock with
// flock() for its whole life, taken before it reads state.json on --resume,
// so a second run on the same folder fails at once instead of interleaving
// its checkpoints with the first one's. A fresh run refuses a folder that
// already holds run files unless told to overwrite them.
#include <string>
#include <vector>

namespace handgrad {

// DIR/.lock, locked (exclusive, non-blocking) until destroyed. The file
// holds the owner's pid for the message another run gets, and is removed
// when the holder lets go (acquire() re-checks the file after locking, so
// removing it cannot give two runs the folder).
class RunLock {
 public:
  RunLock() = default;
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  // Throws Error "DIR: in use by another handgrad run (pid P) ..." when
  // another process, or another Session in this one, holds it. Does nothing
  // when this object already holds DIR.
  void acquire(const std::string& dir);
  bool holds(const std::string& dir) const;

 private:
  int fd_ = -1;
  std::string dir_;
};

// The files a run writes into its folder (checkpoint.cpp, outputs.cpp,
// boundary_output.cpp), for the overwrite checks.
const std::vector<std::string>& run_file_names();
// Those of them present in dir (with their ".prev" copies).
std::vector<std::string> run_files_in(const std::string& dir);
// Removes them (--overwrite), so nothing of the old run is left to mix.
void remove_run_files(const std::string& dir);

}  // namespace handgrad
