// Atomic writes: temporary file in the target's folder, fsync, rename. A
// reader (or a crash at any moment) sees either the old file or the new one,
// never a half-written one. Durability::rewritable files skip the fsyncs: a
// reader still never sees half a file, but a crash may lose the latest one.
//
// Only regular files are written. A symlink is followed to the file it
// names, which is replaced (the link stays). Anything else that exists under
// the name (a folder, a device such as /dev/null, a FIFO, /dev/stdout when
// it is a pipe) is refused: renaming over it would replace the node itself,
// and as root that would replace the machine's /dev/null with a PNG.
#include "handgrad/core/files.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "handgrad/core/error.h"

namespace handgrad {
namespace {

std::string sys_error() {
  if (errno == EFBIG) return "file too large (over the file size limit, ulimit -f?)";
  return std::strerror(errno);
}

std::string parent_dir(const std::string& path) {
  const auto p = std::filesystem::path(path).parent_path();
  return p.empty() ? "." : p.string();
}

// Flushes `path` to disk; returns false (errno set) on failure.
bool fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0 || errno == EINVAL;  // some file systems can't sync folders
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return ok;
}

void write_all(int fd, const std::string& bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(path + ": cannot write: " + sys_error());
    done += static_cast<size_t>(n);
  }
}

// Test hook for tests/test_kill_checkpoint.cpp: with
// HANDGRAD_TEST_PAUSE_IN_CHECKPOINT=NAME, writing a file whose name is NAME
// stops halfway through its temporary file for a minute, so the test can
// SIGKILL the process in the middle of writing a checkpoint.
bool pause_here(const std::string& path) {
  const char* name = std::getenv("HANDGRAD_TEST_PAUSE_IN_CHECKPOINT");
  return name && *name && std::filesystem::path(path).filename() == name;
}

const char* kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISFIFO(m)) return "a pipe or FIFO";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

// The file a write replaces: `path`, or for a symlink (chain) the file it
// ends at, so the link keeps pointing at the new contents. A dangling link
// gives the path it points to (the file is created there).
std::string real_target(const std::string& path) {
  std::string p = path;
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    char buf[PATH_MAX];
    const ssize_t n = ::readlink(p.c_str(), buf, sizeof buf - 1);
    if (n <= 0) return p;
    const std::string link(buf, static_cast<size_t>(n));
    p = link.front() == '/' ? link : parent_dir(p) + "/" + link;
  }
  throw Error(path + ": too many levels of symbolic links");
}

// Creates `tmp` holding `bytes` (errors name `path`, the file the user knows).
void write_new_file(const std::string& tmp, const std::string& path, const std::string& bytes,
                    bool sync) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(path + ": cannot write: " + sys_error());
  try {
    if (pause_here(path)) {
      write_all(fd, bytes.substr(0, bytes.size() / 2), path);
      ::fsync(fd);
      ::sleep(60);
      write_all(fd, bytes.substr(bytes.size() / 2), path);
    } else {
      write_all(fd, bytes, path);
    }
    if (sync && ::fsync(fd) != 0) throw Error(path + ": cannot flush to disk: " + sys_error());
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) throw Error(path + ": cannot write: " + sys_error());
}

}  // namespace

void remove_stale_temps(const std::string& path) {
  const std::filesystem::path target(path);
  const std::string prefix = target.filename().string() + ".tmp.";
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(parent_dir(path), ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::strtol(pid_text.c_str(), nullptr, 10);
    // Only a dead writer's file: a live one (another run) is mid-write.
    if (pid <= 0 || pid == ::getpid() || ::kill(static_cast<pid_t>(pid), 0) == 0 ||
        errno != ESRCH) {
      continue;
    }
    ::unlink(e.path().c_str());
  }
}

void write_atomic_with(const std::string& given,
                       const std::function<void(const std::string& tmp_path)>& write,
                       Durability durability) {
  const bool sync = durability == Durability::crash_safe;
  struct stat st {};
  const bool exists = ::stat(given.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) throw Error(given + ": is a directory, not a file");
  if (exists && !S_ISREG(st.st_mode)) {
    throw Error(given + ": is " + kind_of(st.st_mode) +
                ", not a regular file; handgrad writes only regular files (it replaces them "
                "atomically)");
  }
  const std::string path = real_target(given);
  remove_stale_temps(path);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    write(tmp);
    // A replaced file keeps its permissions (a fresh one gets 0644 & umask).
    if (exists) ::chmod(tmp.c_str(), st.st_mode & 07777);
    if (sync && !fsync_path(tmp, O_RDONLY)) {
      throw Error(given + ": cannot flush to disk: " + sys_error());
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      throw Error(given + ": cannot replace the file: " + sys_error());
    }
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  // Make the rename itself durable; the file is already complete, so a
  // failure here is not worth an error.
  if (sync) fsync_path(parent_dir(path), O_RDONLY | O_DIRECTORY);
}

void write_file_atomic(const std::string& path, const std::string& bytes, Durability durability) {
  write_atomic_with(
      path,
      [&](const std::string& tmp) {
        write_new_file(tmp, path, bytes, durability == Durability::crash_safe);
      },
      durability);
}

void append_file(const std::string& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot append: " + sys_error());
  try {
    write_all(fd, bytes, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) throw Error(path + ": cannot write: " + sys_error());
}

std::string read_file(const std::string& path, size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open: " + sys_error());
  std::string out;
  try {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw Error(path + ": cannot read: " + sys_error());
    if (S_ISDIR(st.st_mode)) throw Error(path + ": is a directory, not a file");
    if (S_ISREG(st.st_mode)) {
      if (static_cast<uint64_t>(st.st_size) > max_bytes) {
        throw Error(path + ": file too large (" + std::to_string(st.st_size) +
                    " bytes, the limit is " + std::to_string(max_bytes) + ")");
      }
      out.reserve(static_cast<size_t>(st.st_size));
    }
    // Read until EOF rather than trusting st_size: pipes and /proc files
    // report 0, and a file may change while we read it.
    char buf[1 << 16];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error(path + ": cannot read: " + sys_error());
      if (n == 0) break;
      if (out.size() + static_cast<size_t>(n) > max_bytes) {
        throw Error(path + ": file too large (more than " + std::to_string(max_bytes) + " bytes)");
      }
      out.append(buf, static_cast<size_t>(n));
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return out;
}

void make_dirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw Error(path + ": cannot create directory: " + ec.message());
  if (!std::filesystem::is_directory(path, ec)) throw Error(path + ": not a directory");
  if (::access(path.c_str(), W_OK | X_OK) != 0) {
    throw Error(path + ": directory is not writable: " + sys_error());
  }
}

std::string utc_stamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return buf;
}

}  // namespace handgrad
