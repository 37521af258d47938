// Messages that used to mislead (issue 14, item 10), outside the training
// loop. The file inputs among them (PNG as --model, ';'-separated CSV, a
// label beyond the network with its file line, blank images) are in
// tests/bad/; these need more than one file or another user.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "support/test_util.h"
#include "support/train_fixture.h"
#include "support/unprivileged.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace handgrad {
namespace {

namespace fs = std::filesystem;

struct Dir {
  fs::path path;
  explicit Dir(const std::string& tag)
      : path(fs::path(::testing::TempDir()) /
             ("hg_msg_" + tag + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Dir() {
    ::chmod(path.c_str(), 0755);
    fs::remove_all(path);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// Spreadsheets write a byte-order mark; without a header line it used to
// make the first field "not a number".
TEST(Messages, CsvWithAByteOrderMarkIsRead) {
  Dir d("bom");
  test::write_text(d / "bom.csv",
                   "\xEF\xBB\xBF"
                   "0.5,0.25,0\n-1,2,1\n3,1.5,0\n0.1,0.2,1\n0.2,0.4,0\n");
  const auto r = run_cli("train --preset seed-2d --data " + (d / "bom.csv") +
                         " --epochs 1 --threads 1 --quiet --out " + (d / "run"));
  EXPECT_EQ(r.code, 0) << r.err;
}

// A data folder that exists but cannot be read said "no mnist data found".
TEST(Messages, UnreadableDataFolderSaysSo) {
  Dir d("unreadable");
  const std::string data = d / "mnist";
  fs::create_directories(data);
  for (const char* f : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
    test::write_text(data + "/" + f, "x");
  }
  ::chmod(data.c_str(), 0700);  // the owner (root or this user) only
  ::chmod(d.path.c_str(), 0777);
  const int code =
      test::run_unprivileged(std::string(HANDGRAD_BIN) + " train --data-dir " + data +
                             " --iterations 1 --quiet --out " + (d / "run") + " 2>" + (d / "err"));
  if (code == -1) GTEST_SKIP() << "cannot switch to an unprivileged user";
  const std::string err = slurp(d / "err");
  if (err.empty() && code == 0) GTEST_SKIP() << "permissions are not enforced for this user";
  EXPECT_EQ(code, 1) << err;
  EXPECT_NE(err.find(data + ": cannot read the folder: Permission denied"), std::string::npos)
      << err;
  EXPECT_EQ(err.find("no mnist data found"), std::string::npos) << err;
}

// An IDX label beyond the network said "mnist/train: sample 0 has label 5",
// naming neither the file nor where in it; the file's order is kept, so
// the index is the sample's in the labels file.
TEST(Messages, IdxLabelBeyondTheNetworkNamesFileAndIndex) {
  const std::string data = synthetic_mnist("msg_idx_label", 60, 20);
  const std::string labels = slurp(data + "/train-labels-idx1-ubyte").substr(8);
  size_t first = 0;
  while (first < labels.size() && labels[first] < 5) ++first;
  ASSERT_LT(first, labels.size());
  const auto r = run_cli("train --data-dir " + data +
                         " --arch 'flatten linear(5)' --iterations 1 --threads 1 --quiet --out " +
                         data + "/run");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find(data + "/train-labels-idx1-ubyte: sample " + std::to_string(first) +
                       " (0-based, in the file's order) has label " +
                       std::to_string(static_cast<int>(labels[first])) +
                       " but the network (mnist/train) has 5 classes (labels 0..4)"),
            std::string::npos)
      << r.err;
}

// Every sample in one class: accuracy 1.0 means nothing, and says so.
TEST(Messages, SingleClassDataWarns) {
  Dir d("oneclass");
  test::write_text(d / "one.csv", "0.5,0.25,0\n-1,2,0\n3,1.5,0\n0.1,0.2,0\n0.2,0.4,0\n");
  const auto r = run_cli("train --preset seed-2d --data " + (d / "one.csv") +
                         " --epochs 1 --threads 1 --quiet --out " + (d / "run"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: " + (d / "one.csv") +
                       "/train: every one of the 4 samples has "
                       "label 0: a single class"),
            std::string::npos)
      << r.err;
  const auto e = run_cli("eval --model " + (d / "run/model.safetensors"));
  EXPECT_EQ(e.code, 0) << e.err;
  EXPECT_NE(e.err.find("a single class"), std::string::npos) << e.err;
}

}  // namespace
}  // namespace handgrad
