// The network's input step (input_norm.h).
#include "handgrad/model/input_norm.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "handgrad/core/error.h"

namespace handgrad {

template <class T>
void InputNorm::apply(T* x, size_t n) const {
  const size_t f = mean.size();
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < f; ++j) x[i * f + j] = (x[i * f + j] - mean[j]) / std[j];
  }
}

template <class T>
void InputNorm::chain(T* dx, size_t n) const {
  const size_t f = mean.size();
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < f; ++j) dx[i * f + j] /= std[j];
  }
}

template void InputNorm::apply(float*, size_t) const;
template void InputNorm::apply(double*, size_t) const;
template void InputNorm::chain(float*, size_t) const;
template void InputNorm::chain(double*, size_t) const;

std::string InputNorm::to_json() const {
  return nlohmann::json{{"mean", mean}, {"std", std}}.dump();
}

InputNorm InputNorm::from_json(const std::string& s, const std::string& where) {
  InputNorm st;
  try {
    const auto j = nlohmann::json::parse(s);
    st.mean = j.at("mean").get<std::vector<float>>();
    st.std = j.at("std").get<std::vector<float>>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": metadata 'standardize' is not {\"mean\":[...],\"std\":[...]}");
  }
  if (st.mean.size() != st.std.size()) {
    throw Error(where + ": metadata 'standardize' has mean and std of different lengths");
  }
  for (float v : st.std) {
    if (!(v > 0) || !std::isfinite(v)) {
      throw Error(where + ": metadata 'standardize' has a std that is not positive");
    }
  }
  return st;
}

}  // namespace handgrad
