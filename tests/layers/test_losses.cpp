// Every loss of the table (layers/loss.h): its value by hand, its gradient
// against central differences of its own value in float64, the batch-share
// scaling, the float32 copy against the float64 one, and a whole network's
// gradient check under it.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "handgrad/core/error.h"
#include "handgrad/core/rng.h"
#include "handgrad/layers/loss.h"
#include "handgrad/train/gradcheck.h"

namespace handgrad {
namespace {

class EveryLoss : public ::testing::TestWithParam<const LossDef*> {};

// dL/d(out) by central differences of L = sum / batch_total (h = 1e-6).
TEST_P(EveryLoss, GradientMatchesFiniteDifferences) {
  const LossDef& loss = *GetParam();
  Rng rng(3);
  for (const int k : {2, 3, 10}) {
    const int n = 4;
    std::vector<double> out(static_cast<size_t>(n) * k), d(out.size()), scratch(out.size());
    for (auto& v : out) v = rng.uniform(-3, 3);
    std::vector<int> y(n);
    for (auto& v : y) v = static_cast<int>(rng.below(static_cast<uint64_t>(k)));
    loss(out.data(), y.data(), n, k, d.data(), n);
    double worst = 0, scale = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      const double keep = out[i], h = 1e-6;
      out[i] = keep + h;
      const double up = loss(out.data(), y.data(), n, k, static_cast<double*>(nullptr), n) / n;
      out[i] = keep - h;
      const double down = loss(out.data(), y.data(), n, k, static_cast<double*>(nullptr), n) / n;
      out[i] = keep;
      const double numeric = (up - down) / (2 * h);
      worst = std::max(worst, std::fabs(numeric - d[i]));
      scale = std::max(scale, std::fabs(numeric));
    }
    EXPECT_LT(worst / scale, 1e-7) << loss.name << " k=" << k;
  }
}

// One thread's share of a batch of 4: the gradient is of the whole batch's mean.
TEST_P(EveryLoss, GradientIsOfTheWholeBatchMean) {
  const LossDef& loss = *GetParam();
  const double out[] = {0.5, -1.0, 2.0};
  const int y[] = {1};
  double all[3], share[3];
  loss(out, y, 1, 3, all, 1);
  loss(out, y, 1, 3, share, 4);
  for (int j = 0; j < 3; ++j) EXPECT_DOUBLE_EQ(share[j], all[j] / 4) << loss.name;
}

TEST_P(EveryLoss, FloatAgreesWithDouble) {
  const LossDef& loss = *GetParam();
  Rng rng(4);
  const int n = 5, k = 7;
  std::vector<double> od(n * k), dd(n * k);
  std::vector<float> of(n * k), df(n * k);
  for (int i = 0; i < n * k; ++i) of[i] = static_cast<float>(rng.uniform(-4, 4)), od[i] = of[i];
  const int y[] = {0, 6, 3, 3, 1};
  const double ld = loss(od.data(), y, n, k, dd.data(), n);
  const double lf = loss(of.data(), y, n, k, df.data(), n);
  EXPECT_NEAR(lf, ld, 1e-6 * std::fabs(ld)) << loss.name;
  for (int i = 0; i < n * k; ++i) EXPECT_NEAR(df[i], dd[i], 1e-7) << loss.name;
}

TEST_P(EveryLoss, RejectsLabelOutOfRange) {
  const LossDef& loss = *GetParam();
  const float out[] = {0, 0};
  const int y[] = {2};
  EXPECT_THROW(loss(out, y, 1, 2, static_cast<float*>(nullptr), 1), Error) << loss.name;
}

// The whole network's gradient (every parameter tensor and the input) under
// this loss, against central differences.
TEST_P(EveryLoss, NetworkGradientCheckPasses) {
  const LossDef& loss = *GetParam();
  const GradReport r = gradcheck_network(
      "conv(3,3) relu maxpool(2) flatten linear(6) tanh linear(4)", {2, 8, 8}, 3, 5, 80, loss);
  EXPECT_TRUE(r.ok()) << loss.name << ": worst " << r.worst();
  EXPECT_LT(r.worst(), 1e-6);
}

// chance(): the loss of the best constant output, found by a 1-D search.
TEST_P(EveryLoss, ChanceIsTheBestConstantOutput) {
  const LossDef& loss = *GetParam();
  const int k = 10;
  std::vector<int> y(k);
  for (int i = 0; i < k; ++i) y[i] = i;  // balanced classes
  double best = INFINITY;
  for (double c = -2; c <= 2; c += 1e-3) {
    std::vector<double> out(static_cast<size_t>(k) * k, c);
    best = std::min(best, loss(out.data(), y.data(), k, k, static_cast<double*>(nullptr), k) / k);
  }
  EXPECT_NEAR(best, loss.chance(k), 1e-5) << loss.name;
}

INSTANTIATE_TEST_SUITE_P(Table, EveryLoss, ::testing::ValuesIn(loss_table()),
                         [](const auto& info) { return info.param->name; });

TEST(MseLoss, ValueAndGradientByHand) {
  // out (2 samples, 2 classes), labels 0 and 1; targets (1,0), (0,1).
  const double out[] = {0.5, 0.5, 2.0, -1.0};
  const int y[] = {0, 1};
  double d[4];
  const double sum = mse_one_hot(out, y, 2, 2, d, 2);
  // errors: (-0.5, 0.5), (2, -2); mean over 4 elements = (0.25+0.25+4+4)/4 = 2.125
  EXPECT_DOUBLE_EQ(sum / 2, 2.125);
  // 2 e / (N k) = e / 2
  EXPECT_DOUBLE_EQ(d[0], -0.25);
  EXPECT_DOUBLE_EQ(d[1], 0.25);
  EXPECT_DOUBLE_EQ(d[2], 1.0);
  EXPECT_DOUBLE_EQ(d[3], -1.0);
}

TEST(LossTable, NamesAndErrors) {
  EXPECT_EQ(&find_loss("ce"), &cross_entropy_loss());
  EXPECT_EQ(find_loss("mse").name, "mse");
  try {
    find_loss("hinge");
    FAIL() << "hinge is not a loss";
  } catch (const FieldError& e) {
    EXPECT_EQ(e.field(), "loss");
    EXPECT_STREQ(e.what(), "'hinge' is not ce or mse");
  }
}

}  // namespace
}  // namespace handgrad
