#pragma once
// The input step of a network: (x - mean) / std per input feature, fitted on
// the training set (--standardize) or fixed (--normalize, MNIST's 0.1307 /
// 0.3081). Code: src/model/input_norm.cpp. It is part of the network, so
// every forward pass (training, eval, predict, boundary, the lab, export)
// applies it and callers always hand the network raw inputs. A model file
// stores it in its metadata under "standardize".
#include <cstddef>
#include <string>
#include <vector>

namespace handgrad {

struct InputNorm {
  std::vector<float> mean, std;  // (features); empty: the identity
  bool empty() const { return mean.empty(); }
  // x: (n, features), in place. dx: scales a gradient with respect to the
  // normalised input into one with respect to the raw input.
  template <class T>
  void apply(T* x, size_t n) const;
  template <class T>
  void chain(T* dx, size_t n) const;
  // {"mean":[...],"std":[...]}
  std::string to_json() const;
  // Throws Error naming `where` for malformed values.
  static InputNorm from_json(const std::string& s, const std::string& where);
};

}  // namespace handgrad
