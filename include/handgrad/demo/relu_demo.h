#pragma once
// The seed report's Q2 example (eqs. 36-42) recomputed, a correct minimal
// ReLU construction for the same six points, and a tiny network trained on
// them with handgrad's own hand-written gradients.
#include <cstdint>
#include <string>
#include <vector>

namespace handgrad {

// Eq. 36: the points and their classes.
inline const std::vector<double> kDemoX = {1, 3, 4, 5, 7, 8};
inline const std::vector<int> kDemoY = {0, 1, 1, 1, 0, 0};

// Eqs. 37-42: X1 = X - 1, X2 = ReLU(X1), X3 = -X2, X4 = X3 + 5, X5 = ReLU(X4).
struct SeedChain {
  std::vector<double> x1, x2, x3, x4, x5;
};
SeedChain seed_chain(const std::vector<double>& x);

// The best accuracy any single threshold reaches on `score`, trying both
// "class 1 above" and "class 1 below".
double best_threshold_accuracy(const std::vector<double>& score, const std::vector<int>& y);

// The minimal construction: two ReLU units and a linear read-out,
//   h(x) = 2.5 - ReLU(x - 4.5) - ReLU(4.5 - x)  (= 2.5 - |x - 4.5|),
// class 1 exactly where h(x) > 0.5, i.e. x in (2.5, 6.5).
// As a 1 -> 2 -> 1 network: W1 = [1, -1], b1 = [-4.5, 4.5], w2 = [-1, -1], b2 = 2.5.
inline constexpr double kTentW1[2] = {1, -1};
inline constexpr double kTentB1[2] = {-4.5, 4.5};
inline constexpr double kTentW2[2] = {-1, -1};
inline constexpr double kTentB2 = 2.5;
double tent(double x);

// A 1 -> `hidden` ReLU -> 2 network ("linear(H) relu linear(2)", torch
// init) trained full-batch on the six points, standardised, with SGD.
// Seeds first_seed, first_seed + 1, ... are tried until one reaches 100%
// training accuracy. With the defaults (8 units, lr 0.05) each of seeds
// 0..39 succeeds on its own; with the raw x in 1..8 about half got stuck.
struct TrainedDemo {
  std::string arch;
  uint64_t seed = 0;  // the seed that reached 100%
  int seeds_tried = 0;
  int epochs = 0;   // epochs that seed needed
  double loss = 0;  // final mean cross-entropy
  double accuracy = 0;
  std::vector<float> params;  // the trained network's flat parameter block
  // p(class 1 | x) for x on the grid, and the grid.
  std::vector<double> grid, prob1;
};
struct DemoTrainOptions {
  int hidden = 8;
  double lr = 0.05;
  double momentum = 0.9;
  int max_epochs = 3000;
  uint64_t first_seed = 0;
  int max_seeds = 20;
};
// Throws Error if no seed reaches 100%.
TrainedDemo train_relu_demo(const DemoTrainOptions& o);

}  // namespace handgrad
