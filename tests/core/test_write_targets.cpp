// What an output path may be (issue 14, item 2): a regular file, new or
// replaced atomically; a symlink is written through to its file; a device
// node, FIFO or folder is refused and left as it was; an output is never an
// input of the same command; a killed writer's temporary file is removed.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>

#include "handgrad/core/error.h"
#include "handgrad/core/files.h"
#include "support/test_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace handgrad {
namespace {

namespace fs = std::filesystem;

struct Dir {
  fs::path path;
  explicit Dir(const std::string& tag)
      : path(fs::path(::testing::TempDir()) / ("hg_wt_" + tag + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Dir() { fs::remove_all(path); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(WriteTargets, SymlinkIsWrittenThroughToItsFile) {
  Dir d("link");
  write_file_atomic(d / "real.txt", "old");
  fs::create_symlink("real.txt", d / "link.txt");
  write_file_atomic(d / "link.txt", "new");
  EXPECT_TRUE(fs::is_symlink(d / "link.txt")) << "the link was replaced by a file";
  EXPECT_EQ(read_file(d / "real.txt"), "new");
  // A link to a file that does not exist yet creates that file.
  fs::create_symlink("later.txt", d / "dangling.txt");
  write_file_atomic(d / "dangling.txt", "made");
  EXPECT_TRUE(fs::is_symlink(d / "dangling.txt"));
  EXPECT_EQ(read_file(d / "later.txt"), "made");
}

TEST(WriteTargets, FifoIsRefusedAndKept) {
  Dir d("fifo");
  ASSERT_EQ(::mkfifo((d / "pipe").c_str(), 0644), 0);
  const std::string err = error_of([&] { write_file_atomic(d / "pipe", "x"); });
  EXPECT_NE(err.find(d / "pipe"), std::string::npos) << err;
  EXPECT_NE(err.find("FIFO"), std::string::npos) << err;
  EXPECT_TRUE(fs::is_fifo(d / "pipe")) << "the FIFO was replaced";
  EXPECT_EQ(std::distance(fs::directory_iterator(d.path), {}), 1) << "a temporary file was left";
}

// /dev/null itself is what the bug replaced (as root, rename succeeds over
// a device node); a copy of its node in a temporary folder shows the same
// without touching the machine's.
TEST(WriteTargets, DeviceNodeIsRefusedAndKept) {
  Dir d("dev");
  const std::string node = d / "null";
  if (::mknod(node.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
    GTEST_SKIP() << "cannot create a device node here (not root): " << std::strerror(errno);
  }
  const std::string err = error_of([&] { write_file_atomic(node, "x"); });
  EXPECT_NE(err.find("character device"), std::string::npos) << err;
  EXPECT_TRUE(fs::is_character_file(node)) << "the device node was replaced by a file";
  // Through the CLI, as `boundary --out /dev/null` would.
  const auto r = run_cli("data make moons --out " + node);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("character device"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_character_file(node));
}

TEST(WriteTargets, ReplacedFileKeepsItsPermissions) {
  Dir d("mode");
  write_file_atomic(d / "secret.txt", "old");
  ::chmod((d / "secret.txt").c_str(), 0600);
  write_file_atomic(d / "secret.txt", "new");
  struct stat st {};
  ASSERT_EQ(::stat((d / "secret.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// A run killed mid-write leaves "<file>.tmp.<pid>"; the next write of that
// file removes it, unless its writer is still alive.
TEST(WriteTargets, StaleTemporaryFilesAreRemoved) {
  Dir d("stale");
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  const std::string stale = d / ("loss.png.tmp." + std::to_string(dead));
  const std::string live = d / ("loss.png.tmp." + std::to_string(::getppid()));
  write_file_atomic(stale, "half a png");
  write_file_atomic(live, "another run's");
  write_file_atomic(d / "loss.png", "png");
  EXPECT_FALSE(fs::exists(stale)) << "a dead writer's temporary file was kept";
  EXPECT_TRUE(fs::exists(live)) << "a live writer's temporary file was removed";
}

// boundary reads --model and writes --out: the same file (or a symlink to
// it) must be refused before anything is written.
TEST(WriteTargets, CommandRefusesToOverwriteItsInput) {
  Dir d("input");
  const auto t = run_cli(
      "train --preset seed-2d --data moons --n 200 --iterations 3 --threads 1 "
      "--quiet --out " +
      (d / "run"));
  ASSERT_EQ(t.code, 0) << t.err;
  const std::string model = d / "run/model.safetensors";
  const std::string before = slurp(model);
  fs::create_symlink(model, d / "alias.safetensors");
  for (const std::string& out :
       {model, d / "run/../run/model.safetensors", d / "alias.safetensors"}) {
    const auto r = run_cli("boundary --model " + model + " --out " + out);
    EXPECT_EQ(r.code, 2) << out << ": " << r.err;
    EXPECT_NE(r.err.find("--out"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--model"), std::string::npos) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_EQ(slurp(model), before) << "boundary replaced the model it read";
  }
  // train --init FILE --out DIR, FILE being DIR's model: refused too.
  const auto r = run_cli(
      "train --preset seed-2d --data moons --n 200 --iterations 3 --threads 1 "
      "--quiet --init " +
      model + " --out " + (d / "run"));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--init"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(model), before) << "train replaced its --init model";
}

}  // namespace
}  // namespace handgrad
