#include "run_folder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "handgrad/core/error.h"

namespace handgrad {

namespace {
std::string canonical_or_same(const std::string& dir) {
  std::error_code ec;
  const auto p = std::filesystem::weakly_canonical(dir, ec);
  return ec ? dir : p.string();
}

// What the lock file says about its holder ("pid 1234"), or "".
std::string holder_of(int fd) {
  char buf[64] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "";
  std::string s(buf, static_cast<size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.find_first_not_of("0123456789") == std::string::npos && !s.empty() ? "pid " + s : "";
}
}  // namespace

RunLock::~RunLock() {
  // Removed while still held, so no run leaves a .lock behind; a run that
  // opened this file meanwhile finds it unlinked after locking and retries.
  if (fd_ < 0) return;
  ::unlink((dir_ + "/.lock").c_str());
  ::close(fd_);  // drops the flock
}

bool RunLock::holds(const std::string& dir) const {
  return fd_ >= 0 && dir_ == canonical_or_same(dir);
}

void RunLock::acquire(const std::string& dir) {
  if (holds(dir)) return;
  if (fd_ >= 0) throw Error("RunLock: already holds " + dir_);
  const std::string canon = canonical_or_same(dir), path = canon + "/.lock";
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
      throw Error(dir + ": cannot claim the run folder (" + path + ": " + std::strerror(errno) +
                  ")");
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      throw Error(path + ": not a regular file; cannot claim the run folder");
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      const std::string who = holder_of(fd);
      ::close(fd);
      if (err == EWOULDBLOCK) {
        throw Error(dir + ": in use by another handgrad run" +
                    (who.empty() ? "" : " (" + who + ")") +
                    "; wait for it to finish or give another --out");
      }
      throw Error(dir + ": cannot lock " + path + ": " + std::strerror(err));
    }
    // Locked, but is it still the folder's lock file? Its last holder may
    // have removed it between our open() and flock().
    struct stat now {};
    if (::stat(path.c_str(), &now) != 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
      ::close(fd);
      continue;
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      // The lock holds without the pid; only another run's message is vaguer.
    }
    fd_ = fd;
    dir_ = canon;
    return;
  }
  throw Error(dir + ": cannot claim the run folder: its lock file keeps changing");
}

const std::vector<std::string>& run_file_names() {
  static const std::vector<std::string> names = {
      "state.json", "model.safetensors", "optimizer.safetensors", "metrics.csv",
      "loss.png",   "accuracy.png",      "confusion.png",         "boundary.png"};
  return names;
}

std::vector<std::string> run_files_in(const std::string& dir) {
  std::vector<std::string> found;
  for (const std::string& n : run_file_names()) {
    for (const std::string& f : {n, n + ".prev"}) {
      struct stat st {};
      if (::lstat((dir + "/" + f).c_str(), &st) == 0) found.push_back(f);
    }
  }
  return found;
}

void remove_run_files(const std::string& dir) {
  for (const std::string& f : run_files_in(dir)) {
    const std::string p = dir + "/" + f;
    if (::unlink(p.c_str()) != 0 && errno != ENOENT) {
      throw Error(p + ": cannot remove the old run's file: " + std::strerror(errno));
    }
  }
}

}  // namespace handgrad
