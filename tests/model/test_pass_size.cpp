// A forward pass takes as many samples as fit in model/pass_size.h's budget:
// evaluation used 500 at once (the boundary grid 4096) whatever the network,
// so a network near the activation cap needed gigabytes to be evaluated.
#include <gtest/gtest.h>

#include "handgrad/model/network.h"
#include "handgrad/model/pass_size.h"
#include "support/test_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace handgrad {
namespace {

TEST(PassSize, SmallNetworksKeepTheUsualChunk) {
  const Network<float> cnn("conv(4,5) relu maxpool(2) flatten linear(10)", {1, 28, 28});
  EXPECT_EQ(samples_per_pass(cnn, 500), 500);
}

TEST(PassSize, LargeActivationsGetFewerSamples) {
  // 4 x 10^6 activation values per sample: 16 MB of float.
  const Network<float> wide("linear(1000000) relu relu relu linear(2)", {2});
  const int n = samples_per_pass(wide, 500);
  EXPECT_EQ(n, static_cast<int>(kPassBudgetBytes / (4 * (2 + 4000000 + 2))));
  EXPECT_LE(static_cast<size_t>(n) * 4 * 4000000, kPassBudgetBytes);
  // Never zero, even when one sample alone is over the budget.
  EXPECT_EQ(samples_per_pass(wide, 500, 1000), 1);
}

// The CLI: 200 test samples of a 16 MB-per-sample network under a 1.5 GB
// address-space limit. With 200 at once (3.2 GB) this was "out of memory".
TEST(PassSize, EvalOfAWideNetworkStaysInMemory) {
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer reserves terabytes of shadow address space at start,
  // which no `ulimit -v` bound leaves room for.
  GTEST_SKIP() << "ulimit -v cannot run an AddressSanitizer build";
#endif
  const TempDir d("pass_size");
  const std::string model = d.file("wide.safetensors");
  ASSERT_EQ(
      run_cli("init --arch 'linear(1000000) relu relu relu linear(2)' --input 2 --out " + model)
          .code,
      0);
  const CliResult r = run_shell("ulimit -v 1500000; " + std::string(HANDGRAD_BIN) +
                                " eval --model " + model + " --data moons --threads 1");
  EXPECT_EQ(r.code, 0) << r.all;
  EXPECT_NE(r.out.find("test accuracy"), std::string::npos) << r.all;
}

}  // namespace
}  // namespace handgrad
