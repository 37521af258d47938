#pragma once
// Finite-difference gradient checks, run in double precision.
// Code: src/train/gradcheck.cpp.
//
// Why double: the layers are templates on the scalar type, so the same code
// that trains in float32 can be checked in float64, where a central
// difference with step h = 1e-6 has truncation error O(h^2) ~ 1e-12 and
// rounding error O(eps / h) ~ 1e-10 relative. A correct backward pass then
// agrees to ~1e-8 and a wrong sign or index disagrees by O(1), so a tolerance
// of 1e-6 separates the two by orders of magnitude either way.
#include <cstdint>
#include <string>
#include <vector>

#include "handgrad/core/tensor.h"
#include "handgrad/layers/layer.h"
#include "handgrad/layers/loss.h"

namespace handgrad {

inline constexpr double kGradTolerance = 1e-6;
// A tensor whose gradient is zero (a bias right before a batch norm, whose
// mean subtraction cancels it): analytic and numeric both below this in
// every element are compared by their absolute difference instead (the
// central differences of an O(1) loss carry ~1e-10 of rounding noise).
inline constexpr double kZeroGradient = 1e-8;
// A layer whose training statistics span the batch is checked alone on at
// least this many samples.
inline constexpr int kMinCoupledBatch = 4;

struct GradRow {
  std::string what;      // "layer 0 conv(4,5): input", "0.weight"
  double max_rel_error;  // max_i |analytic_i - numeric_i| / max_i |numeric_i|
  size_t checked;        // elements compared
};

struct GradReport {
  std::vector<GradRow> layers;  // each layer alone: input and parameter gradients
  std::vector<GradRow> params;  // the whole network: each parameter tensor, and the input
  bool ok(double tol = kGradTolerance) const;
  double worst() const;
};

// Max relative error between two gradient arrays, scaled by the larger of
// their max magnitudes (so tiny elements do not dominate); when both are
// below kZeroGradient everywhere, the max absolute difference.
double max_rel_error(const std::vector<double>& analytic, const std::vector<double>& numeric);

// Checks one configured layer on a random batch of n samples, with the loss
// L = sum(out * R) for a fixed random R (so dL/dout = R). At most
// max_checks elements per tensor are compared (a random subset beyond that).
// mode: train (batch statistics, a fixed random mask per seed) or eval.
std::vector<GradRow> gradcheck_layer(const Layer<double>& layer, int n, uint64_t seed,
                                     size_t max_checks = 400, Mode mode = Mode::train);

// Checks every layer alone, then the whole network under the loss (softmax
// cross-entropy unless given) with random labels, per parameter tensor and
// for the input.
GradReport gradcheck_network(const std::string& arch, const Dims& input, int n, uint64_t seed,
                             size_t max_checks = 200, const LossDef& loss = cross_entropy_loss());

}  // namespace handgrad
