#include <gtest/gtest.h>

#include <cmath>

#include "handgrad/core/error.h"
#include "handgrad/data/generators.h"

namespace handgrad {
namespace {

TEST(Generators, SizesLabelsAndBalance) {
  for (const auto& name : generator_names()) {
    GenOptions o;
    o.n = 101;
    const Dataset d = generate(name, o);
    ASSERT_EQ(d.size(), 101) << name;
    EXPECT_EQ(d.sample_dims, Dims{2}) << name;
    EXPECT_EQ(d.num_classes, 2) << name;
    ASSERT_EQ(d.x.size(), 202u) << name;
    int ones = 0;
    for (int y : d.y) {
      ASSERT_TRUE(y == 0 || y == 1) << name;
      ones += y;
    }
    EXPECT_EQ(ones, 50) << name;  // 51 of class 0, 50 of class 1
    for (float v : d.x) EXPECT_TRUE(std::isfinite(v)) << name;
  }
}

TEST(Generators, DeterministicPerSeed) {
  for (const auto& name : generator_names()) {
    GenOptions o;
    o.n = 50;
    o.seed = 7;
    const Dataset a = generate(name, o), b = generate(name, o);
    EXPECT_EQ(a.x, b.x) << name;
    EXPECT_EQ(a.y, b.y) << name;
    o.seed = 8;
    EXPECT_NE(generate(name, o).x, a.x) << name;
  }
}

TEST(Generators, ShapesWithoutNoise) {
  GenOptions o;
  o.n = 200;
  o.noise = 0;
  const Dataset c = generate("circles", o);
  for (int i = 0; i < c.size(); ++i) {
    const double r = std::hypot(c.sample(i)[0], c.sample(i)[1]);
    EXPECT_NEAR(r, c.y[static_cast<size_t>(i)] == 0 ? 1.0 : 0.5, 1e-6);
  }
  const Dataset x = generate("xor", o);
  for (int i = 0; i < x.size(); ++i) {
    const bool negative = x.sample(i)[0] * x.sample(i)[1] < 0;
    EXPECT_EQ(negative ? 1 : 0, x.y[static_cast<size_t>(i)]);
  }
  const Dataset m = generate("moons", o);
  for (int i = 0; i < m.size(); ++i) {
    // Upper moon: unit circle around (0, 0); lower: around (1, 0.5).
    const float* p = m.sample(i);
    const double r = m.y[static_cast<size_t>(i)] == 0 ? std::hypot(p[0], p[1])
                                                      : std::hypot(p[0] - 1, p[1] - 0.5);
    EXPECT_NEAR(r, 1.0, 1e-6);
  }
}

TEST(Generators, NoiseMovesPoints) {
  GenOptions o;
  o.n = 100;
  o.noise = 0;
  const Dataset clean = generate("circles", o);
  o.noise = -1;  // the default, 0.1
  EXPECT_DOUBLE_EQ(default_noise("circles"), 0.1);
  const Dataset noisy = generate("circles", o);
  double sq = 0;
  for (size_t i = 0; i < clean.x.size(); ++i) sq += std::pow(clean.x[i] - noisy.x[i], 2);
  EXPECT_NEAR(std::sqrt(sq / static_cast<double>(clean.x.size())), 0.1, 0.02);
}

TEST(Generators, BlobsClasses) {
  GenOptions o;
  o.n = 90;
  o.classes = 3;
  const Dataset d = generate("blobs", o);
  EXPECT_EQ(d.num_classes, 3);
  int count[3] = {0, 0, 0};
  for (int y : d.y) ++count[y];
  EXPECT_EQ(count[0], 30);
  EXPECT_EQ(count[2], 30);
}

TEST(Generators, BadArguments) {
  GenOptions o;
  EXPECT_THROW(generate("spiral", o), UsageError);
  o.n = 1;
  EXPECT_THROW(generate("moons", o), UsageError);
  o.n = 100;
  o.factor = 1.5;
  EXPECT_THROW(generate("circles", o), UsageError);
  o.factor = 0.5;
  o.noise = std::nan("");
  EXPECT_THROW(generate("moons", o), UsageError);
}

TEST(Split, DeterministicDisjointAndSized) {
  GenOptions o;
  o.n = 1000;
  const Dataset d = generate("moons", o);
  const TrainTest a = split_train_test(d, 0.2, 3), b = split_train_test(d, 0.2, 3);
  EXPECT_EQ(a.train.size(), 800);
  EXPECT_EQ(a.test.size(), 200);
  EXPECT_EQ(a.test.x, b.test.x);
  EXPECT_NE(split_train_test(d, 0.2, 4).test.x, a.test.x);
  // Every point lands in exactly one part: the sums of coordinates add up.
  double all = 0, parts = 0;
  for (float v : d.x) all += v;
  for (float v : a.train.x) parts += v;
  for (float v : a.test.x) parts += v;
  EXPECT_NEAR(all, parts, 1e-3);
  EXPECT_THROW(split_train_test(d, 1.0, 0), UsageError);
  EXPECT_THROW(split_train_test(d, 0.0, 0), UsageError);
}

}  // namespace
}  // namespace handgrad
