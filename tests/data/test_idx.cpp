// IDX reading: raw and .gz, every kind of bad file refused with one line
// naming it (quickly, without allocating what the header claims), the MNIST
// search path, and real MNIST when it is present.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>

#include "handgrad/core/error.h"
#include "handgrad/core/files.h"
#include "handgrad/data/idx.h"
#include "support/test_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace fs = std::filesystem;
using namespace handgrad;

namespace {

void put_u32(std::string& s, uint32_t v) {
  for (int shift : {24, 16, 8, 0}) s.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::string idx_bytes(uint32_t magic, const std::vector<uint32_t>& dims, const std::string& data) {
  std::string s;
  put_u32(s, magic);
  for (uint32_t d : dims) put_u32(s, d);
  return s + data;
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile g = gzopen(path.c_str(), "wb");
  ASSERT_NE(g, nullptr);
  ASSERT_EQ(gzwrite(g, bytes.data(), static_cast<unsigned>(bytes.size())), int(bytes.size()));
  ASSERT_EQ(gzclose(g), Z_OK);
}

// 3 images of 2x3 pixels, labels 0 9 4.
const std::string kPixels = {0, 1, 2, 3, 4, 5, char(255), 0, 0, 0, 0, 0, 7, 7, 7, 7, 7, char(128)};
std::string images() {
  return idx_bytes(2051, {3, 2, 3}, kPixels);
}
std::string labels() {
  return idx_bytes(2049, {3}, {0, 9, 4});
}

// Writes images/labels into dir (raw or .gz); returns {images path, labels path}.
std::pair<std::string, std::string> write_pair(const std::string& dir, bool gz,
                                               const std::string& img = images(),
                                               const std::string& lab = labels()) {
  const std::string i = dir + "/train-images-idx3-ubyte" + (gz ? ".gz" : "");
  const std::string l = dir + "/train-labels-idx1-ubyte" + (gz ? ".gz" : "");
  if (gz) {
    write_gz(i, img);
    write_gz(l, lab);
  } else {
    write_file_atomic(i, img);
    write_file_atomic(l, lab);
  }
  return {i, l};
}

void expect_refused(const std::string& img, const std::string& lab,
                    const std::vector<std::string>& needles, int num_classes = 10) {
  try {
    load_idx(img, lab, num_classes);
    FAIL() << "accepted; expected: " << needles[0];
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const auto& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

void check_small(const Dataset& d) {
  EXPECT_EQ(d.size(), 3);
  EXPECT_EQ(d.sample_dims, (Dims{1, 2, 3}));
  EXPECT_EQ(d.num_classes, 10);
  EXPECT_EQ(d.y, (std::vector<int>{0, 9, 4}));
  ASSERT_EQ(d.x.size(), 18u);
  EXPECT_EQ(d.x[0], 0.0f);
  EXPECT_EQ(d.x[1], 1.0f / 255.0f);
  EXPECT_EQ(d.x[6], 1.0f);
  EXPECT_EQ(d.sample(2)[5], 128.0f / 255.0f);
}

TEST(Idx, ReadsRawAndGzip) {
  for (bool gz : {false, true}) {
    const auto [i, l] = write_pair(test::temp_dir(gz ? "idx_gz" : "idx_raw"), gz);
    check_small(load_idx(i, l));
  }
}

TEST(Idx, RefusesTruncatedFiles) {
  const std::string dir = test::temp_dir("idx_trunc");
  const std::string img = images();
  auto [i, l] = write_pair(dir, false, img.substr(0, img.size() - 1));
  expect_refused(i, l, {i, "truncated"});
  write_file_atomic(i, img.substr(0, 10));
  expect_refused(i, l, {i, "truncated", "IDX header"});
  write_file_atomic(i, "");
  expect_refused(i, l, {i, "empty file"});
  write_file_atomic(i, img + "x");
  expect_refused(i, l, {i, "trailing bytes"});
  // gzip: the IDX data ends early, or the gzip stream itself is cut off.
  auto [gi, gl] = write_pair(dir, true, img.substr(0, img.size() - 4));
  expect_refused(gi, gl, {gi, "truncated", "found 14"});
  write_gz(gi, img);
  const std::string gz = read_file(gi);
  write_file_atomic(gi, gz.substr(0, gz.size() - 12));
  expect_refused(gi, gl, {gi, "truncated or corrupt .gz"});
  write_gz(gi, img + "extra");
  expect_refused(gi, gl, {gi, "more data than"});
}

TEST(Idx, RefusesCorruptGzip) {
  const std::string dir = test::temp_dir("idx_corrupt");
  auto [i, l] = write_pair(dir, true);
  std::string gz = read_file(i);
  gz[gz.size() - 6] ^= 0x55;  // the CRC-32 in the trailer
  write_file_atomic(i, gz);
  expect_refused(i, l, {i, ".gz"});
  write_pair(dir, true);
  gz = read_file(l);
  for (size_t k = 10; k < gz.size() - 8; ++k) gz[k] = char(0xff);  // the deflate stream
  write_file_atomic(l, gz);
  expect_refused(i, l, {l, ".gz"});
  write_pair(dir, true);
  write_file_atomic(i, std::string("\x1f\x8b\x08\x00", 4));
  expect_refused(i, l, {i});
}

TEST(Idx, RefusesWrongMagicAndBadDimensions) {
  const std::string dir = test::temp_dir("idx_magic");
  auto [i, l] = write_pair(dir, false);
  expect_refused(l, i, {l, "wrong magic number 2049", "expected 2051", "labels file"});
  write_file_atomic(i, idx_bytes(0x12345678, {}, ""));
  expect_refused(i, l, {i, "wrong magic", "not an IDX file"});
  write_file_atomic(i, idx_bytes(2051, {3, 0, 3}, ""));
  expect_refused(i, l, {i, "dimension 1 is 0"});
  write_file_atomic(i, idx_bytes(2051, {3, 20000, 1}, std::string(60000, '\0')));
  expect_refused(i, l, {i, "implausible"});
}

TEST(Idx, RefusesCountMismatchAndBadLabels) {
  const std::string dir = test::temp_dir("idx_counts");
  auto [i, l] = write_pair(dir, false, images(), idx_bytes(2049, {2}, {0, 1}));
  expect_refused(i, l, {i, l, "3 images", "2 labels"});
  write_file_atomic(l, idx_bytes(2049, {3}, {0, 10, 1}));
  expect_refused(i, l, {l, "label 10 at index 1", "class count 10"});
  write_file_atomic(l, idx_bytes(2049, {3}, {0, 2, 1}));
  expect_refused(i, l, {l, "label 2 at index 1", "class count 2"}, 2);
  EXPECT_EQ(load_idx(i, l, 3).y[1], 2);
}

TEST(Idx, RefusesHugeClaimsWithoutAllocating) {
  const std::string dir = test::temp_dir("idx_huge");
  auto [i, l] = write_pair(dir, false);
  // 4 billion images of 65536x65536: refused from the header alone.
  write_file_atomic(i, idx_bytes(2051, {0xffffffffu, 65536, 65536}, "abc"));
  expect_refused(i, l, {i, "refusing"});
  write_gz(i, idx_bytes(2051, {0xffffffffu, 28, 28}, "abc"));
  expect_refused(i, l, {i, "refusing"});
  // 1,000,000 images claimed (784 MB, under the cap) in a 20-byte raw file:
  // the size check refuses it before reading; in a .gz it fails on the
  // first chunk, having allocated only that chunk.
  write_file_atomic(i, idx_bytes(2051, {1000000, 28, 28}, "abcd"));
  expect_refused(i, l, {i, "header claims 784000000 bytes", "has 4"});
  write_gz(i, idx_bytes(2051, {1000000, 28, 28}, "abcd"));
  expect_refused(i, l, {i, "truncated", "found 4"});
}

TEST(Idx, MissingFileNamesIt) {
  const std::string dir = test::temp_dir("idx_missing");
  expect_refused(dir + "/nope", dir + "/nope2", {dir + "/nope", "no such file"});
  expect_refused(dir, dir, {dir, "directory"});
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { had_ ? ::setenv(name_, old_.c_str(), 1) : ::unsetenv(name_); }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

void write_mnist_like(const std::string& dir) {
  fs::create_directories(dir);
  write_pair(dir, true);
  write_file_atomic(dir + "/t10k-images-idx3-ubyte", images());
  write_gz(dir + "/t10k-labels-idx1-ubyte.gz", labels());
}

TEST(Idx, FindsDatasetFolderInOrder) {
  const std::string root = test::temp_dir("idx_find");
  const ScopedEnv home("HOME", root + "/home");
  const ScopedEnv data("HANDGRAD_DATA", root + "/data");
  try {
    find_dataset_dir("mnist", "");
    FAIL();
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(root + "/data/mnist"), std::string::npos) << msg;
    EXPECT_NE(msg.find(root + "/home/.cache/handgrad/mnist"), std::string::npos) << msg;
    EXPECT_NE(msg.find("handgrad data fetch mnist"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--data-dir"), std::string::npos) << msg;
  }
  write_mnist_like(root + "/home/.cache/handgrad/mnist");
  EXPECT_EQ(find_dataset_dir("mnist", ""), root + "/home/.cache/handgrad/mnist");
  write_mnist_like(root + "/data/mnist");
  EXPECT_EQ(find_dataset_dir("mnist", ""), root + "/data/mnist");
  // --data-dir wins, as the folder itself or its mnist/ child, and is not
  // silently replaced by another place when it lacks the files.
  write_mnist_like(root + "/mine");
  EXPECT_EQ(find_dataset_dir("mnist", root + "/mine"), root + "/mine");
  EXPECT_EQ(find_dataset_dir("mnist", root + "/data"), root + "/data/mnist");
  fs::remove(root + "/mine/t10k-labels-idx1-ubyte.gz");
  EXPECT_THROW(find_dataset_dir("mnist", root + "/mine"), Error);

  const Dataset train = load_mnist_split(root + "/data/mnist", "train");
  check_small(train);
  EXPECT_EQ(train.name, "mnist/train");
  check_small(load_mnist_split(root + "/data/mnist/", "test"));
  EXPECT_THROW(load_mnist_split(root + "/data/mnist", "valid"), UsageError);
  EXPECT_THROW(load_mnist_split(root + "/mine", "test"), Error);
}

TEST(Idx, RealMnist) {
  const std::string dir = handgrad::test::mnist_dir();
  if (dir.empty()) GTEST_SKIP() << handgrad::test::kNoMnist;
  const ScopedEnv data("HANDGRAD_DATA", fs::path(dir).parent_path().string());
  ASSERT_EQ(find_dataset_dir("mnist", ""), dir);
  const Dataset train = load_mnist_split(dir, "train");
  const Dataset test = load_mnist_split(dir, "test");
  ASSERT_EQ(train.size(), 60000);
  ASSERT_EQ(test.size(), 10000);
  EXPECT_EQ(train.sample_dims, (Dims{1, 28, 28}));
  EXPECT_EQ(std::vector<int>(train.y.begin(), train.y.begin() + 10),
            (std::vector<int>{5, 0, 4, 1, 9, 2, 1, 3, 1, 4}));
  EXPECT_EQ(std::vector<int>(test.y.begin(), test.y.begin() + 10),
            (std::vector<int>{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}));
  std::vector<int> counts(10);
  for (int y : test.y) ++counts[y];
  EXPECT_EQ(counts, (std::vector<int>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}));
  float lo = 1, hi = 0;
  for (float v : test.x) lo = std::min(lo, v), hi = std::max(hi, v);
  EXPECT_EQ(lo, 0.0f);
  EXPECT_EQ(hi, 1.0f);
}

TEST(Idx, FashionMnistFromDebianPackage) {
  const std::string deb = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(deb + "/t10k-labels-idx1-ubyte.gz")) {
    GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
  }
  const ScopedEnv home("HOME", test::temp_dir("fashion-home"));
  const ScopedEnv data("HANDGRAD_DATA", test::temp_dir("fashion-data"));
  ASSERT_EQ(find_dataset_dir("fashion-mnist", ""), deb);
  const Dataset test = load_mnist_split(deb, "test");
  EXPECT_EQ(test.size(), 10000);
  EXPECT_EQ(test.name, "fashion-mnist/test");
}

}  // namespace
