// write_file_atomic / write_atomic_with / read_file / make_dirs: complete
// files or nothing, and one-line errors that name the path.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include "handgrad/core/error.h"
#include "handgrad/core/files.h"

namespace fs = std::filesystem;
using handgrad::Error;

namespace {

// A fresh, empty folder per test.
std::string fresh_dir(const std::string& name) {
  const fs::path d =
      fs::path(::testing::TempDir()) / ("hg_io_" + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

size_t count_entries(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

// Runs f, expects an Error whose one-line message contains `needle`.
template <class F>
void expect_error(F f, const std::string& needle) {
  try {
    f();
    FAIL() << "no error; expected one mentioning " << needle;
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(AtomicFile, WritesReadsAndReplaces) {
  const std::string dir = fresh_dir("rw");
  const std::string p = dir + "/a.bin";
  std::string bytes = "hello";
  bytes.push_back('\0');
  bytes += "world";
  handgrad::write_file_atomic(p, bytes);
  EXPECT_EQ(handgrad::read_file(p), bytes);
  handgrad::write_file_atomic(p, "second");
  EXPECT_EQ(handgrad::read_file(p), "second");
  handgrad::write_file_atomic(p, "");
  EXPECT_EQ(handgrad::read_file(p), "");
  EXPECT_EQ(count_entries(dir), 1u) << "a temporary file was left behind";
}

TEST(AtomicFile, FailingWriterKeepsTheOldFileAndLeavesNoTemp) {
  const std::string dir = fresh_dir("fail");
  const std::string p = dir + "/model.bin";
  handgrad::write_file_atomic(p, "old contents");
  EXPECT_THROW(handgrad::write_atomic_with(p,
                                           [](const std::string& tmp) {
                                             handgrad::write_file_atomic(tmp, "half");
                                             throw std::runtime_error("disk on fire");
                                           }),
               std::runtime_error);
  EXPECT_EQ(handgrad::read_file(p), "old contents");
  EXPECT_EQ(count_entries(dir), 1u);
}

TEST(AtomicFile, WriterThatWritesNothingIsAnError) {
  const std::string dir = fresh_dir("nothing");
  expect_error([&] { handgrad::write_atomic_with(dir + "/x.png", [](const std::string&) {}); },
               dir + "/x.png");
  EXPECT_EQ(count_entries(dir), 0u);
}

TEST(AtomicFile, MissingFolderIsAnErrorNamingThePath) {
  const std::string dir = fresh_dir("missing");
  const std::string p = dir + "/no/such/folder/f.txt";
  expect_error([&] { handgrad::write_file_atomic(p, "x"); }, p);
  EXPECT_EQ(count_entries(dir), 0u);
}

TEST(AtomicFile, TargetThatIsAFolderIsAnError) {
  const std::string dir = fresh_dir("isdir");
  fs::create_directories(dir + "/sub");
  expect_error([&] { handgrad::write_file_atomic(dir + "/sub", "x"); }, dir + "/sub");
  EXPECT_EQ(count_entries(dir), 1u);
  EXPECT_TRUE(fs::is_directory(dir + "/sub"));
}

TEST(ReadFile, ErrorsNameThePath) {
  const std::string dir = fresh_dir("read");
  expect_error([&] { handgrad::read_file(dir + "/absent"); }, dir + "/absent");
  expect_error([&] { handgrad::read_file(dir); }, "directory");
  handgrad::write_file_atomic(dir + "/big", std::string(100, 'x'));
  EXPECT_EQ(handgrad::read_file(dir + "/big", 100).size(), 100u);
  expect_error([&] { handgrad::read_file(dir + "/big", 99); }, "too large");
}

TEST(MakeDirs, CreatesParentsAndRefusesFiles) {
  const std::string dir = fresh_dir("mk");
  handgrad::make_dirs(dir + "/a/b/c");
  EXPECT_TRUE(fs::is_directory(dir + "/a/b/c"));
  handgrad::make_dirs(dir + "/a/b/c");  // existing is fine
  handgrad::write_file_atomic(dir + "/file", "x");
  expect_error([&] { handgrad::make_dirs(dir + "/file"); }, dir + "/file");
  expect_error([&] { handgrad::make_dirs(dir + "/file/sub"); }, dir + "/file/sub");
}

TEST(MakeDirs, UnwritableFolderIsAnError) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: permissions are not enforced";
  const std::string dir = fresh_dir("ro");
  fs::create_directories(dir + "/locked");
  fs::permissions(dir + "/locked", fs::perms::owner_read | fs::perms::owner_exec);
  expect_error([&] { handgrad::make_dirs(dir + "/locked"); }, "not writable");
  expect_error([&] { handgrad::write_file_atomic(dir + "/locked/f", "x"); }, dir + "/locked/f");
  fs::permissions(dir + "/locked", fs::perms::owner_all);
}

}  // namespace
