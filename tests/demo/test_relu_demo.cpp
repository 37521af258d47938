#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "handgrad/demo/relu_demo.h"

namespace handgrad {
namespace {

using V = std::vector<double>;

TEST(ReluDemo, SeedChainVectors) {
  const SeedChain c = seed_chain(kDemoX);
  EXPECT_EQ(c.x1, (V{0, 2, 3, 4, 6, 7}));
  EXPECT_EQ(c.x2, (V{0, 2, 3, 4, 6, 7}));
  EXPECT_EQ(c.x3, (V{0, -2, -3, -4, -6, -7}));
  // The report prints 0 for the first entry of X4 and X5; it is 5.
  EXPECT_EQ(c.x4, (V{5, 3, 2, 1, -1, -2}));
  EXPECT_EQ(c.x5, (V{5, 3, 2, 1, 0, 0}));
}

TEST(ReluDemo, SeedChainDoesNotSeparateButTentDoes) {
  const SeedChain c = seed_chain(kDemoX);
  EXPECT_LT(best_threshold_accuracy(c.x5, kDemoY), 1.0);
  // The report's printed X5 would have separated: the error hid the problem.
  EXPECT_EQ(best_threshold_accuracy(V{0, 3, 2, 1, 0, 0}, kDemoY), 1.0);
  for (size_t i = 0; i < kDemoX.size(); ++i) {
    EXPECT_EQ(tent(kDemoX[i]) > 0.5, kDemoY[i] == 1) << "x = " << kDemoX[i];
  }
  EXPECT_DOUBLE_EQ(tent(4.5), 2.5);
  EXPECT_DOUBLE_EQ(tent(2.5), 0.5);
  EXPECT_DOUBLE_EQ(tent(6.5), 0.5);
}

TEST(ReluDemo, TrainsToFullAccuracy) {
  const TrainedDemo t = train_relu_demo({});
  EXPECT_EQ(t.accuracy, 1.0);
  EXPECT_EQ(t.seeds_tried, 1);  // seed 0 works with the defaults
  ASSERT_EQ(t.grid.size(), t.prob1.size());
  // The learned p(class 1 | x) is above 0.5 at 3, 4, 5 and below at 1, 7, 8.
  for (size_t i = 0; i < kDemoX.size(); ++i) {
    const size_t g = static_cast<size_t>(kDemoX[i] / 9.0 * (t.grid.size() - 1) + 0.5);
    EXPECT_EQ(t.prob1[g] > 0.5, kDemoY[i] == 1) << "x = " << kDemoX[i];
  }
}

TEST(ReluDemo, CliPrintsAndDraws) {
  const auto dir = std::filesystem::temp_directory_path() / "handgrad_relu_demo_test";
  std::filesystem::create_directories(dir);
  const std::string png = (dir / "demo.png").string(), log = (dir / "out.txt").string();
  const std::string cmd = std::string(HANDGRAD_BIN) + " relu-demo --out " + png + " > " + log;
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(text.find("X5 = ReLU(X4)   = [5, 3, 2, 1, 0, 0]"), std::string::npos) << text;
  EXPECT_NE(text.find("training accuracy 100%"), std::string::npos) << text;
  std::ifstream f(png, std::ios::binary);
  char sig[8] = {};
  f.read(sig, 8);
  EXPECT_EQ(std::string(sig + 1, 3), "PNG");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace handgrad
