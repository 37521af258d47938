#include "data/idx_cache.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "handgrad/core/error.h"
#include "handgrad/core/files.h"
#include "handgrad/core/hash64.h"

namespace handgrad {
namespace {

// Trailer: 8 bytes of tag, then xxh64 of the bytes before it, little-endian.
constexpr char kTag[8] = {'h', 'g', 'i', 'd', 'x', 'c', '1', '\n'};
constexpr size_t kTrailer = 16;

std::string cache_dir() {
  if (const char* d = std::getenv("HANDGRAD_IDX_CACHE")) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) {
    return std::string(x) + "/handgrad/idx";
  }
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/handgrad/idx";
  return "";
}

std::string trailer(const std::string& raw) {
  const uint64_t h = xxh64(raw.data(), raw.size());
  std::string t(kTag, sizeof kTag);
  for (int i = 0; i < 8; ++i) t.push_back(static_cast<char>((h >> (8 * i)) & 0xff));
  return t;
}

}  // namespace

IdxCache::IdxCache(const std::string& gz_path) {
  const std::string dir = cache_dir();
  if (dir.empty()) return;
  // xxh64 of MNIST's 9.9 MB .gz takes a few ms; its SHA-256 would take as
  // long as the gunzip this saves. The name only tells files apart; the
  // trailer is what guards against corruption.
  std::string gz;
  try {
    gz = read_file(gz_path);
  } catch (const Error&) {
    return;  // the reader that opened it reports what is wrong
  }
  path_ = dir + "/" + hex64(xxh64(gz.data(), gz.size())) + "-" + std::to_string(gz.size()) + "-" +
          std::filesystem::path(gz_path).stem().string();
}

std::optional<std::string> IdxCache::get() const {
  if (path_.empty()) return std::nullopt;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path_, ec)) return std::nullopt;
  std::string bytes;
  try {
    bytes = read_file(path_);
  } catch (const Error&) {
    return std::nullopt;  // unreadable: inflate instead
  }
  if (bytes.size() < kTrailer) return std::nullopt;
  const std::string tail = bytes.substr(bytes.size() - kTrailer);
  bytes.resize(bytes.size() - kTrailer);
  if (tail != trailer(bytes)) return std::nullopt;
  return bytes;
}

void IdxCache::put(const std::string& raw) const {
  if (path_.empty() || raw.size() < kMinBytes) return;
  try {
    make_dirs(std::filesystem::path(path_).parent_path().string());
    write_file_atomic(path_, raw + trailer(raw), Durability::rewritable);
  } catch (const Error&) {
    // A read-only or full cache folder: this run has its data anyway.
  }
}

}  // namespace handgrad
