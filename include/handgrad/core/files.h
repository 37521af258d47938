#pragma once
// File helpers shared by every writer: nothing handgrad writes is ever left
// half-written. Each file is written to "<path>.tmp.<pid>" in the same
// folder, flushed, fsync'ed and renamed over the target.
#include <functional>
#include <string>
#include <vector>

namespace handgrad {

// Writes bytes atomically. Throws Error naming the path on any failure and
// removes the temporary file.
void write_file_atomic(const std::string& path, const std::string& bytes);

// For writers that produce a file through a library (cairo's PNG writer):
// `write(tmp_path)` writes to the temporary path, which is then renamed.
void write_atomic_with(const std::string& path,
                       const std::function<void(const std::string& tmp_path)>& write);

// Reads a whole file. Throws Error naming the path if it cannot be read or
// is larger than max_bytes.
std::string read_file(const std::string& path, size_t max_bytes = size_t(1) << 32);

// Creates a directory and its parents; throws Error naming it if that fails
// or it is not writable.
void make_dirs(const std::string& path);

}  // namespace handgrad
