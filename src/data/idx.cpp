// IDX reader (raw or gzip; zlib's gzread passes raw files through; large
// .gz files are inflated once into a cache, idx_cache.h) and the places
// MNIST and Fashion-MNIST are looked for.
//
// IDX: u32 big-endian magic 0x0000TTDD (TT = 0x08 unsigned bytes, DD = number
// of dimensions), DD u32 big-endian sizes, then the bytes, row-major.
#include "handgrad/data/idx.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <type_traits>
#include <utility>

#include "data/idx_cache.h"
#include "handgrad/core/error.h"

namespace handgrad {
namespace {

constexpr uint32_t kImagesMagic = 2051;  // 0x00000803: unsigned bytes, 3 dims
constexpr uint32_t kLabelsMagic = 2049;  // 0x00000801: unsigned bytes, 1 dim
// No IDX file we read may claim more than this: the claim is checked before
// anything is allocated, and the floats made from it are 4x larger.
constexpr uint64_t kMaxDataBytes = uint64_t(1) << 30;

struct Idx {
  std::vector<uint32_t> dims;
  // The data are bytes[at, end): a cache entry is kept whole (at = header
  // size) rather than copied, which saved 47 MB of copy and page faults.
  std::string bytes;
  size_t at = 0;
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(bytes.data()) + at; }
  size_t size() const { return bytes.size() - at; }
};

class GzReader {
 public:
  explicit GzReader(const std::string& path) : path_(path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw Error(path + ": cannot open: no such file");
    if (S_ISDIR(st.st_mode)) throw Error(path + ": is a directory, not an IDX file");
    file_size_ = static_cast<uint64_t>(st.st_size);
    g_ = gzopen(path.c_str(), "rb");
    if (!g_) throw Error(path + ": cannot open");
    gzbuffer(g_, 1 << 17);
  }
  ~GzReader() { gzclose(g_); }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  bool compressed() const { return gzdirect(g_) == 0; }
  uint64_t file_size() const { return file_size_; }

  // Reads up to n bytes; returns how many. Throws on corrupt gzip data.
  size_t read(void* dst, size_t n) {
    size_t done = 0;
    while (done < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - done, 1u << 30));
      const int got = gzread(g_, static_cast<char*>(dst) + done, chunk);
      if (got < 0) throw Error(path_ + ": truncated or corrupt .gz (" + error() + ")");
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    return done;
  }
  // zlib's message for a short read: a truncated .gz says "unexpected end of file".
  std::string error() {
    int code = 0;
    const char* msg = gzerror(g_, &code);
    if (code == Z_OK || !msg || !*msg) return "end of file";
    std::string m = msg;  // zlib prefixes its message with the path
    if (m.rfind(path_ + ": ", 0) == 0) m.erase(0, path_.size() + 2);
    return m;
  }

 private:
  std::string path_;
  gzFile g_ = nullptr;
  uint64_t file_size_ = 0;
};

// A verified cache entry, read through the same checks as a raw file.
class MemReader {
 public:
  explicit MemReader(std::string bytes) : bytes_(std::move(bytes)) {}
  bool compressed() const { return false; }
  uint64_t file_size() const { return bytes_.size(); }
  size_t read(void* dst, size_t n) {
    n = std::min(n, bytes_.size() - at_);
    std::memcpy(dst, bytes_.data() + at_, n);
    at_ += n;
    return n;
  }
  std::string error() const { return "end of file"; }
  std::string take() { return std::move(bytes_); }  // all of it, header included

 private:
  std::string bytes_;
  size_t at_ = 0;
};

uint32_t big_endian(const uint8_t* b) {
  return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | uint32_t(b[3]);
}

std::string kind(uint32_t magic) {
  return magic == kImagesMagic ? "images" : "labels";
}

// Header and data from `in` (GzReader or MemReader), every claim checked.
template <class Reader>
Idx parse_idx(Reader& in, const std::string& path, uint32_t magic) {
  const std::string truncated = in.compressed() ? "truncated or corrupt .gz" : "truncated";
  uint8_t head[4];
  const size_t got = in.read(head, 4);
  if (got < 4) {
    throw Error(path + ": " + (got == 0 ? std::string("empty file") : truncated) +
                ", no IDX header");
  }
  const uint32_t m = big_endian(head);
  if (m != magic) {
    const std::string hint = (m == kImagesMagic || m == kLabelsMagic)
                                 ? " (this is an IDX " + kind(m) + " file)"
                                 : " (not an IDX file?)";
    throw Error(path + ": wrong magic number " + std::to_string(m) + ", expected " +
                std::to_string(magic) + " for IDX " + kind(magic) + hint);
  }
  Idx idx;
  idx.dims.resize(magic & 0xff);
  uint8_t dims[12];
  if (in.read(dims, 4 * idx.dims.size()) < 4 * idx.dims.size()) {
    throw Error(path + ": " + truncated + " IDX header (" + in.error() + ")");
  }
  uint64_t claim = 1;
  for (size_t i = 0; i < idx.dims.size(); ++i) {
    idx.dims[i] = big_endian(dims + 4 * i);
    if (idx.dims[i] == 0) throw Error(path + ": IDX dimension " + std::to_string(i) + " is 0");
    claim *= idx.dims[i];
    if (claim > kMaxDataBytes) {
      throw Error(path + ": header claims more than " + std::to_string(kMaxDataBytes) +
                  " bytes of data (dimension " + std::to_string(i) + " is " +
                  std::to_string(idx.dims[i]) + "); refusing");
    }
  }
  const uint64_t header = 4 + 4 * idx.dims.size();
  if (!in.compressed() && in.file_size() != header + claim) {
    throw Error(path + ": header claims " + std::to_string(claim) + " bytes of data but the file " +
                "has " + std::to_string(in.file_size() - std::min(in.file_size(), header)) +
                (in.file_size() < header + claim ? " (truncated)" : " (trailing bytes)"));
  }
  // A cache entry, its size checked just above, is the data as it is.
  if constexpr (std::is_same_v<Reader, MemReader>) {
    idx.bytes = in.take();
    idx.at = header;
    return idx;
  }
  // Grow as data actually arrives, so a .gz that lies about its size costs
  // no more memory than it really holds. A raw file's size was checked
  // against the claim above: room for it at once saves the regrowth copies.
  if (!in.compressed()) idx.bytes.reserve(claim);
  const size_t chunk = size_t(1) << 20;
  while (idx.bytes.size() < claim) {
    const size_t have = idx.bytes.size();
    idx.bytes.resize(std::min<uint64_t>(claim, have + chunk));
    const size_t want = idx.bytes.size() - have;
    const size_t n = in.read(idx.bytes.data() + have, want);
    if (n < want) {
      throw Error(path + ": " + truncated + ": header claims " + std::to_string(claim) +
                  " bytes of data, found " + std::to_string(have + n) + " (" + in.error() + ")");
    }
  }
  uint8_t extra;
  if (in.read(&extra, 1) != 0) {
    throw Error(path + ": more data than the header's " + std::to_string(claim) + " bytes");
  }
  return idx;
}

// The IDX file's bytes again (what the cache keeps).
std::string idx_file_bytes(const Idx& idx, uint32_t magic) {
  std::string s;
  auto put = [&s](uint32_t v) {
    for (int shift : {24, 16, 8, 0}) s.push_back(static_cast<char>((v >> shift) & 0xff));
  };
  put(magic);
  for (uint32_t d : idx.dims) put(d);
  s.append(reinterpret_cast<const char*>(idx.data()), idx.size());
  return s;
}

Idx read_idx(const std::string& path, uint32_t magic) {
  GzReader in(path);
  if (!in.compressed()) return parse_idx(in, path, magic);
  const IdxCache cache(path);
  if (auto raw = cache.get()) {
    MemReader mem(std::move(*raw));
    return parse_idx(mem, path, magic);
  }
  Idx idx = parse_idx(in, path, magic);
  if (idx.size() >= IdxCache::kMinBytes) cache.put(idx_file_bytes(idx, magic));
  return idx;
}

std::string dims_text(const std::vector<uint32_t>& d) {
  std::string s;
  for (uint32_t x : d) s += (s.empty() ? "" : "x") + std::to_string(x);
  return s;
}

bool is_file(const std::string& p) {
  std::error_code ec;
  return std::filesystem::is_regular_file(p, ec);
}

// "dir/base" or "dir/base.gz", whichever exists (raw first: faster); empty if neither.
std::string find_file(const std::string& dir, const std::string& base) {
  const std::string raw = (std::filesystem::path(dir) / base).string();
  if (is_file(raw)) return raw;
  if (is_file(raw + ".gz")) return raw + ".gz";
  return {};
}

const char* const kFiles[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

// Why `dir` exists but cannot be read ("" when it is readable or absent).
std::string unreadable_folder(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return errno == EACCES ? "cannot reach the folder: " + std::string(std::strerror(errno)) : "";
  }
  if (!S_ISDIR(st.st_mode)) return "";
  if (::access(dir.c_str(), R_OK | X_OK) != 0) {
    return "cannot read the folder: " + std::string(std::strerror(errno));
  }
  return "";
}

bool has_all_files(const std::string& dir) {
  for (const char* f : kFiles) {
    if (find_file(dir, f).empty()) return false;
  }
  return true;
}

}  // namespace

Dataset load_idx(const std::string& images_path, const std::string& labels_path, int num_classes) {
  Idx images = read_idx(images_path, kImagesMagic);
  const Idx labels = read_idx(labels_path, kLabelsMagic);
  if (images.dims[0] != labels.dims[0]) {
    throw Error(images_path + ": " + std::to_string(images.dims[0]) + " images but " + labels_path +
                " has " + std::to_string(labels.dims[0]) + " labels");
  }
  if (images.dims[1] > 16384 || images.dims[2] > 16384) {
    throw Error(images_path + ": image size " + dims_text(images.dims) + " is implausible");
  }
  if (images.dims[0] > uint32_t(INT32_MAX)) throw Error(images_path + ": too many images");
  Dataset d;
  d.name = images_path;
  d.source = labels_path;  // the order is the file's: an error can name a sample's index
  d.num_classes = num_classes;
  d.sample_dims = {1, static_cast<int>(images.dims[1]), static_cast<int>(images.dims[2])};
  const uint8_t* lab = labels.data();
  d.y.resize(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    if (lab[i] >= num_classes) {
      throw Error(labels_path + ": label " + std::to_string(lab[i]) + " at index " +
                  std::to_string(i) + " is not below the class count " +
                  std::to_string(num_classes));
    }
    d.y[i] = lab[i];
  }
  const uint8_t* px = images.data();
  d.x.resize(images.size());
  for (size_t i = 0; i < images.size(); ++i) d.x[i] = px[i] / 255.0f;
  return d;
}

std::string find_dataset_dir(const std::string& name, const std::string& data_dir) {
  std::vector<std::string> places;
  if (!data_dir.empty()) {
    places = {data_dir, (std::filesystem::path(data_dir) / name).string()};
  } else {
    if (const char* env = std::getenv("HANDGRAD_DATA"); env && *env) {
      places.push_back((std::filesystem::path(env) / name).string());
    }
    if (const char* home = std::getenv("HOME"); home && *home) {
      places.push_back((std::filesystem::path(home) / ".cache/handgrad" / name).string());
    }
    if (name == "fashion-mnist") places.push_back("/usr/share/datasets/fashion-mnist");
  }
  for (const auto& p : places) {
    if (has_all_files(p)) return p;
  }
  // A folder that exists but cannot be listed or entered is not "no data".
  for (const auto& p : places) {
    if (std::string why = unreadable_folder(p); !why.empty()) throw Error(p + ": " + why);
  }
  std::string looked;
  for (const auto& p : places) looked += (looked.empty() ? "" : ", ") + p;
  std::string how =
      "pass --data-dir DIR with a folder holding train-images-idx3-ubyte[.gz], "
      "train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz] and "
      "t10k-labels-idx1-ubyte[.gz]";
  if (name == "mnist") how = "run `handgrad data fetch mnist` or " + how;
  if (name == "fashion-mnist")
    how = "install it with `apt-get install dataset-fashion-mnist` or " + how;
  throw Error("no " + name + " data found (looked in " + looked + "); " + how);
}

Dataset load_mnist_split(const std::string& dir, const std::string& split) {
  if (split != "train" && split != "test") {
    throw UsageError("split must be 'train' or 'test', not '" + split + "'");
  }
  const std::string prefix = split == "train" ? "train" : "t10k";
  std::string paths[2];
  const char* kinds[2] = {"-images-idx3-ubyte", "-labels-idx1-ubyte"};
  for (int i = 0; i < 2; ++i) {
    paths[i] = find_file(dir, prefix + kinds[i]);
    if (paths[i].empty()) {
      throw Error(dir + ": no " + prefix + kinds[i] + " or " + prefix + kinds[i] + ".gz");
    }
  }
  Dataset d = load_idx(paths[0], paths[1], 10);
  std::string base = std::filesystem::path(dir).lexically_normal().filename().string();
  if (base.empty())
    base = std::filesystem::path(dir).lexically_normal().parent_path().filename().string();
  d.name = base + "/" + split;
  return d;
}

}  // namespace handgrad
