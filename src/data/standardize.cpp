// Per-feature standardisation, fitted in double precision on the training set.
#include "handgrad/data/standardize.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "handgrad/core/error.h"

namespace handgrad {

void Standardizer::apply(float* x, size_t n) const {
  const size_t f = mean.size();
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < f; ++j) x[i * f + j] = (x[i * f + j] - mean[j]) / std[j];
  }
}

std::string Standardizer::to_json() const {
  return nlohmann::json{{"mean", mean}, {"std", std}}.dump();
}

Standardizer Standardizer::from_json(const std::string& s, const std::string& where) {
  Standardizer st;
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

Standardizer fit_standardizer(const Dataset& d) {
  const size_t f = d.sample_size(), n = static_cast<size_t>(d.size());
  std::vector<double> sum(f, 0), sq(f, 0);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < f; ++j) sum[j] += d.x[i * f + j];
  }
  Standardizer st;
  st.mean.resize(f);
  st.std.resize(f);
  for (size_t j = 0; j < f; ++j) sum[j] /= static_cast<double>(std::max<size_t>(n, 1));
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < f; ++j) {
      const double c = d.x[i * f + j] - sum[j];
      sq[j] += c * c;
    }
  }
  for (size_t j = 0; j < f; ++j) {
    // Population std, as sklearn's StandardScaler; a constant feature keeps
    // std 1 so it maps to 0 instead of dividing by zero.
    const double sd = std::sqrt(sq[j] / static_cast<double>(std::max<size_t>(n, 1)));
    st.mean[j] = static_cast<float>(sum[j]);
    st.std[j] = sd > 1e-8 ? static_cast<float>(sd) : 1.0f;
  }
  return st;
}

Standardizer standardizer_from_metadata(const std::map<std::string, std::string>& meta,
                                        const std::string& where) {
  const auto it = meta.find("standardize");
  if (it == meta.end() || it->second.empty()) return {};
  return Standardizer::from_json(it->second, where);
}

}  // namespace handgrad
