#pragma once
// Bytes as a file path without touching the disk: the readers take paths
// (and zlib's gzopen, cairo and the size checks want a real file), so the
// harnesses hand them /proc/self/fd/N of an in-memory file.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace handgrad::fuzz {

class MemFile {
 public:
  explicit MemFile(const std::string& bytes) {
    fd_ = ::memfd_create("handgrad-fuzz", MFD_CLOEXEC);
    if (fd_ < 0) std::abort();
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n <= 0) std::abort();
      done += static_cast<size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace handgrad::fuzz
