#pragma once
// Decompressed copies of large .gz IDX files, so that a run reads MNIST's
// bytes instead of inflating them again (the gunzip was most of the load).
//
// An entry is named by a hash of the .gz file's bytes, so a changed .gz
// never meets an old entry, and ends with a trailer holding a hash of the
// decompressed bytes: an entry that is truncated, corrupt or from another
// writer's crash fails the check, is ignored and is written again. Entries
// are written to a temporary file and renamed (two runs filling the cache
// at once each install a complete copy); without fsync, since losing one
// only costs the next run a gunzip.
//
// Where: $HANDGRAD_IDX_CACHE, else $XDG_CACHE_HOME/handgrad/idx, else
// ~/.cache/handgrad/idx. HANDGRAD_IDX_CACHE set but empty turns it off, as
// does a folder that cannot be created or written (the data is then
// inflated as before).
#include <optional>
#include <string>

namespace handgrad {

class IdxCache {
 public:
  // Files smaller than this once inflated are not cached: reading them
  // costs nothing, and the tests' tiny fixtures stay out of the cache.
  static constexpr size_t kMinBytes = size_t(1) << 20;

  // The entry for the .gz at `gz_path` (read here to name it).
  explicit IdxCache(const std::string& gz_path);

  // The decompressed IDX bytes, when a verified entry exists.
  std::optional<std::string> get() const;
  // Stores `raw` (the whole decompressed IDX file); failures are ignored.
  void put(const std::string& raw) const;

  const std::string& path() const { return path_; }  // "" when off

 private:
  std::string path_;
};

}  // namespace handgrad
