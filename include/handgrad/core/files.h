#pragma once
// File helpers shared by every writer: nothing handgrad writes is ever left
// half-written. Each file is written to "<path>.tmp.<pid>" in the same
// folder, flushed, fsync'ed (unless it need not survive a crash) and renamed
// over the target.
#include <functional>
#include <string>
#include <vector>

namespace handgrad {

// Whether a file must be on disk when its write returns. Both kinds are
// atomic (readers see the old file or the new one); only crash_safe ones
// pay for fsync (file and folder), which a crash or power loss needs to keep
// them. Checkpoints, models and downloads are crash_safe; plots, metrics.csv
// and caches are rewritten by the next evaluation or run, so `rewritable`.
enum class Durability { crash_safe, rewritable };

// Writes bytes atomically. Throws Error naming the path on any failure and
// removes the temporary file. Only regular files are written: a symlink is
// followed and the file it names replaced; a folder, device node, FIFO or
// socket under `path` is refused. Leftover "<path>.tmp.<pid>" files of
// writers that died (killed mid-write) are removed first.
void write_file_atomic(const std::string& path, const std::string& bytes,
                       Durability durability = Durability::crash_safe);

// Appends bytes to an existing regular file (one write: a kill loses all of
// them or none, short of a full disk) without fsync: for logs that a
// checkpoint can rebuild, where an fsync per line costs more than the work.
void append_file(const std::string& path, const std::string& bytes);

// For writers that produce a file through a library (cairo's PNG writer):
// `write(tmp_path)` writes to the temporary path, which is then renamed.
void write_atomic_with(const std::string& path,
                       const std::function<void(const std::string& tmp_path)>& write,
                       Durability durability = Durability::crash_safe);

// Removes "<path>.tmp.<pid>" files whose process is gone (a run killed while
// writing `path`); another live process's are kept.
void remove_stale_temps(const std::string& path);

// A file a command reads or writes, and the flag that named it.
struct FileRole {
  std::string flag, path;
};
// Throws UsageError naming both flags when an output is one of the inputs
// (the same file, however spelled: ./x, a symlink, a hard link). Every
// command that writes files calls this before it writes anything.
void refuse_overwriting_inputs(const std::vector<FileRole>& inputs,
                               const std::vector<FileRole>& outputs);

// Reads a whole file. Throws Error naming the path if it cannot be read or
// is larger than max_bytes.
std::string read_file(const std::string& path, size_t max_bytes = size_t(1) << 32);

// Creates a directory and its parents; throws Error naming it if that fails
// or it is not writable.
void make_dirs(const std::string& path);

// The current UTC time as "YYYYMMDD-HHMMSS", for default run-folder names.
std::string utc_stamp();

}  // namespace handgrad
