// The cache of inflated .gz IDX files (src/data/idx_cache.h): a cached load
// gives the same tensors as inflating, a corrupt or truncated entry is never
// used and is written again, and an entry is really what a load reads.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>

#include "handgrad/core/files.h"
#include "handgrad/core/hash64.h"
#include "handgrad/data/idx.h"
#include "support/test_util.h"

namespace fs = std::filesystem;
using namespace handgrad;

namespace {

std::string idx_bytes(uint32_t magic, const std::vector<uint32_t>& dims, const std::string& data) {
  std::string s;
  auto put = [&s](uint32_t v) {
    for (int shift : {24, 16, 8, 0}) s.push_back(static_cast<char>((v >> shift) & 0xff));
  };
  put(magic);
  for (uint32_t d : dims) put(d);
  return s + data;
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile g = gzopen(path.c_str(), "wb");
  ASSERT_NE(g, nullptr);
  ASSERT_EQ(gzwrite(g, bytes.data(), static_cast<unsigned>(bytes.size())), int(bytes.size()));
  ASSERT_EQ(gzclose(g), Z_OK);
}

// The entry's trailer as idx_cache.cpp writes it, for a forged entry.
std::string trailer(const std::string& raw) {
  const uint64_t h = xxh64(raw.data(), raw.size());
  std::string t = "hgidxc1\n";
  for (int i = 0; i < 8; ++i) t.push_back(static_cast<char>((h >> (8 * i)) & 0xff));
  return t;
}

class IdxCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = test::temp_dir("idxcache_data");
    cache_ = test::temp_dir("idxcache_cache");
    ::setenv("HANDGRAD_IDX_CACHE", cache_.c_str(), 1);
    // 1100 images of 32x32: over IdxCache::kMinBytes once inflated.
    std::string pixels(1100 * 32 * 32, '\0');
    for (size_t i = 0; i < pixels.size(); ++i)
      pixels[i] = static_cast<char>((i * 2654435761u) >> 24);
    raw_images_ = idx_bytes(2051, {1100, 32, 32}, pixels);
    std::string labels(1100, '\0');
    for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<char>(i % 10);
    write_gz(images(), raw_images_);
    write_gz(labels_path(), idx_bytes(2049, {1100}, labels));
  }
  void TearDown() override { ::unsetenv("HANDGRAD_IDX_CACHE"); }
  std::string images() const { return data_ + "/train-images-idx3-ubyte.gz"; }
  std::string labels_path() const { return data_ + "/train-labels-idx1-ubyte.gz"; }
  Dataset load() const { return load_idx(images(), labels_path(), 10); }
  // The cache's entries (the labels are too small to have one).
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(cache_)) out.push_back(e.path().string());
    return out;
  }
  std::string data_, cache_, raw_images_;
};

void expect_same(const Dataset& a, const Dataset& b) {
  EXPECT_EQ(a.sample_dims, b.sample_dims);
  EXPECT_TRUE(a.x == b.x);
  EXPECT_TRUE(a.y == b.y);
}

TEST_F(IdxCacheTest, CachedLoadGivesTheSameTensors) {
  ::setenv("HANDGRAD_IDX_CACHE", "", 1);  // off: inflated, nothing written
  const Dataset inflated = load();
  ::setenv("HANDGRAD_IDX_CACHE", cache_.c_str(), 1);
  EXPECT_TRUE(entries().empty());
  expect_same(load(), inflated);  // fills the cache
  ASSERT_EQ(entries().size(), 1u);
  EXPECT_EQ(read_file(entries()[0]), raw_images_ + trailer(raw_images_));
  expect_same(load(), inflated);  // from the cache
}

TEST_F(IdxCacheTest, CorruptOrTruncatedEntryIsRebuilt) {
  const Dataset inflated = load();
  ASSERT_EQ(entries().size(), 1u);
  const std::string entry = entries()[0];
  const std::string good = read_file(entry);
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x40;
  for (const std::string& bad : {flipped, good.substr(0, good.size() / 2), std::string()}) {
    write_file_atomic(entry, bad);
    expect_same(load(), inflated);
    EXPECT_EQ(read_file(entry), good);
  }
}

TEST_F(IdxCacheTest, AVerifiedEntryIsWhatALoadReads) {
  load();
  ASSERT_EQ(entries().size(), 1u);
  std::string forged = raw_images_;
  forged[16] = static_cast<char>(255);  // the first pixel
  write_file_atomic(entries()[0], forged + trailer(forged));
  EXPECT_EQ(load().x[0], 1.0f);
}

TEST_F(IdxCacheTest, UnwritableCacheFolderStillLoads) {
  ::setenv("HANDGRAD_IDX_CACHE", "/proc/handgrad-no-cache-here", 1);
  EXPECT_EQ(load().size(), 1100);
}

}  // namespace
