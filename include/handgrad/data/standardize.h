#pragma once
// Fitting a network's input normalisation (model/input_norm.h) on data.
// Code: src/data/standardize.cpp.
#include "handgrad/data/dataset.h"
#include "handgrad/model/input_norm.h"

namespace handgrad {

// Per-feature mean and population std (as sklearn's StandardScaler), in
// double precision; a constant feature keeps std 1.
InputNorm fit_standardizer(const Dataset& d);

// MNIST's usual constants (torchvision's example): (x - 0.1307) / 0.3081 on
// each of `features` pixels.
InputNorm mnist_normalization(size_t features);

}  // namespace handgrad
