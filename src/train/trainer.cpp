// train(): the whole run as a Session loop, and the small helpers around it.
#include "handgrad/train/trainer.h"

#include <cmath>

#include "checkpoint.h"
#include "handgrad/core/error.h"
#include "handgrad/train/session.h"

namespace handgrad {

std::string unique_run_dir(const std::string& label);  // session.cpp

TrainResult train(const TrainOptions& options) {
  Session s(options);
  s.run();
  return s.finish();
}

double clip_grad_norm(float* g, size_t n, double max_norm) {
  double sq = 0;
  for (size_t i = 0; i < n; ++i) sq += static_cast<double>(g[i]) * g[i];
  const double norm = std::sqrt(sq);
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1) {
    const auto c = static_cast<float>(coef);
    for (size_t i = 0; i < n; ++i) g[i] *= c;
  }
  return norm;
}

std::string default_run_dir(const TrainOptions& o) {
  return unique_run_dir(o.arch.empty() ? o.preset : "custom");
}

DataArgs data_args_from_metadata(const std::map<std::string, std::string>& meta) {
  const auto it = meta.find("training");
  if (it == meta.end()) return {};
  try {
    return settings_from_json(it->second, "model metadata").data;
  } catch (const Error&) {
    return {};  // written by another tool: fall back to the flags' defaults
  }
}

std::string loss_from_metadata(const std::map<std::string, std::string>& meta) {
  const auto it = meta.find("training");
  if (it == meta.end()) return "ce";
  try {
    return settings_from_json(it->second, "model metadata").loss;
  } catch (const Error&) {
    return "ce";
  }
}

}  // namespace handgrad
