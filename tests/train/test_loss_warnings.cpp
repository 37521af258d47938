// Issue 14, item 10: a final training loss far above the loss of guessing
// (log(k) for cross-entropy) is an unstable run, not one "stuck near" it (a
// loss of 6.9e33 was called stuck).
#include <gtest/gtest.h>

#include <string>

#include "support/train_fixture.h"

using namespace handgrad::test;

namespace handgrad {
namespace {

const std::string kArgs =
    "train --preset seed-2d --data moons --n 240 --threads 1 --quiet --batch-size 16 --epochs 5";

TEST(LossWarnings, AnExplodedLossIsNotCalledStuck) {
  const TempDir d("loss_warn");
  // lr 1000: the loss ends in the hundreds (log(2) = 0.69).
  const auto r = run_cli(kArgs + " --lr 1000 --out " + d.file("big"));
  ASSERT_EQ(r.code, 0) << r.all;
  EXPECT_NE(r.err.find("is far above 0.6931, the loss of"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("training is unstable"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("stuck"), std::string::npos) << r.err;
  // A run that learns gets neither warning.
  const auto ok = run_cli(kArgs + " --out " + d.file("ok"));
  ASSERT_EQ(ok.code, 0) << ok.all;
  EXPECT_EQ(ok.err.find("far above"), std::string::npos) << ok.err;
}

}  // namespace
}  // namespace handgrad
