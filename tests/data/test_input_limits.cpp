// Unbounded inputs (issue 14, item 9): a CSV is read up to a size cap, not
// until memory runs out; what an error quotes from the user is cut to about
// 200 characters and never reaches the terminal as raw bytes.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/test_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace handgrad {
namespace {

namespace fs = std::filesystem;

const std::string kGoodCsv = std::string(HANDGRAD_SOURCE_DIR) + "/tests/bad/good/train.csv";

// Valid UTF-8 without control characters except the final newline.
bool clean_text(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n' && i + 1 == s.size()) return true;
    if (c < 0x20 || c == 0x7f) return false;
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

// /dev/urandom as the test set grew to 2.1 GB before failing, then printed
// raw bytes; now the read stops at the cap.
TEST(InputLimits, EndlessCsvIsRefusedAtTheCap) {
  const auto r =
      run_cli("train --preset seed-2d --data " + kGoodCsv +
                  " --test-data /dev/urandom --epochs 1 --quiet --out /nonexistent/endless",
              "timeout -s KILL 60");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("/dev/urandom: file too large (more than 268435456 bytes)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(count_lines(r.err), 1);
  EXPECT_TRUE(clean_text(r.err)) << r.err;
}

TEST(InputLimits, BinaryCsvIsQuotedAsText) {
  const std::string p = ::testing::TempDir() + "hg_binary_" + std::to_string(::getpid()) + ".csv";
  test::write_text(p, "1,2,0\n\xff\xfe\x80\xc3,3,1\n");
  const auto r = run_cli("train --preset seed-2d --data " + p +
                         " --epochs 1 --quiet --out /nonexistent/binary");
  fs::remove(p);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find(":2: column 1"), std::string::npos) << r.err;
  EXPECT_TRUE(clean_text(r.err)) << r.err;
}

TEST(InputLimits, HugeQuotesAreCut) {
  const std::string path = "/tmp/" + std::string(5000, 'x') + ".csv";
  const auto r = run_cli("train --preset seed-2d --data " + path + " --epochs 1 --quiet");
  EXPECT_EQ(r.code, 1) << r.err.substr(0, 300);
  EXPECT_LT(r.err.size(), 400u) << r.err.substr(0, 300);
  EXPECT_NE(r.err.find("...(4"), std::string::npos) << r.err.substr(0, 300);
  EXPECT_NE(r.err.find(" more characters)"), std::string::npos) << r.err.substr(0, 300);
  // Ordinary messages with quotes and apostrophes are untouched.
  const auto u = run_cli("train --data no-such-set");
  EXPECT_NE(u.err.find("unknown dataset 'no-such-set' (known: mnist"), std::string::npos) << u.err;
}

}  // namespace
}  // namespace handgrad
