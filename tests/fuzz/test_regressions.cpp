// Replays every input a fuzzer ever failed on (tests/fuzz/<target>/) and the
// committed seed corpora (fuzz/corpus/<target>/) through the same harnesses
// the libFuzzer targets use (fuzz/harness_*.h). Under the ASan + UBSan build
// a regression is a sanitizer report; in every build an exception other than
// handgrad::Error escaping the harness fails the test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "../fuzz/harness_arch.h"
#include "../fuzz/harness_csv.h"
#include "../fuzz/harness_idx.h"
#include "../fuzz/harness_image.h"
#include "../fuzz/harness_safetensors.h"
#include "handgrad/core/error.h"

namespace handgrad {
namespace {

namespace fs = std::filesystem;
using Harness = std::function<void(const uint8_t*, size_t)>;

std::string read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs every file under the two folders; returns how many ran.
int replay(const std::string& target, const Harness& h) {
  int n = 0;
  const fs::path root(HANDGRAD_SOURCE_DIR);
  for (const fs::path& dir : {root / "tests/fuzz" / target, root / "fuzz/corpus" / target}) {
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      const std::string bytes = read_bytes(e.path());
      SCOPED_TRACE(e.path().string());
      EXPECT_NO_THROW(h(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
      ++n;
    }
  }
  return n;
}

TEST(FuzzRegressions, Arch) {
  EXPECT_GT(replay("fuzz_arch", fuzz::run_arch), 10);
}
TEST(FuzzRegressions, Csv) {
  EXPECT_GT(replay("fuzz_csv", fuzz::run_csv), 3);
}
TEST(FuzzRegressions, Idx) {
  EXPECT_GT(replay("fuzz_idx", fuzz::run_idx), 10);
}
TEST(FuzzRegressions, Image) {
  EXPECT_GT(replay("fuzz_image", fuzz::run_image), 10);
}
TEST(FuzzRegressions, Safetensors) {
  EXPECT_GT(replay("fuzz_safetensors", fuzz::run_safetensors), 10);
}

// What fuzz_arch found: sizes that overflowed int or asked for terabytes
// must be refused with a UsageError before anything is allocated.
TEST(FuzzRegressions, ArchHugeSizesAreRefused) {
  const struct {
    const char* arch;
    Dims input;
  } cases[] = {
      {"flatten linear(2000000000)", {1, 28, 28}},                // 1.5e12 parameters
      {"conv(4,5,1,2147483647) flatten linear(2)", {1, 28, 28}},  // 2*pad overflows int
      {"conv(1,3,1,1073741823) flatten linear(2)", {1, 28, 28}},  // H + 2*pad overflows
      {"flatten linear(2)", {1, 1 << 20, 1 << 20}},  // 2^40 inputs: flatten overflowed int
      {"conv(1,1) flatten linear(2)", {1, 1 << 20, 1 << 20}},
      {"linear(65536) linear(65536)", {1}},         // 2^32 weights in layer 1
      {"conv(40,3,2,11) flatten", {655363, 8, 8}},  // 2.4e8 weights: 14 s to zero
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.arch);
    EXPECT_THROW(Network<float>(c.arch, c.input), UsageError);
  }
}

}  // namespace
}  // namespace handgrad
