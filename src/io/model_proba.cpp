#include "handgrad/model_proba.h"

#include <cmath>
#include <cstdlib>

#include "handgrad/error.h"
#include "handgrad/loss.h"

namespace handgrad {

namespace {
// "0.5,-1.25" -> {0.5, -1.25}; throws naming the key.
std::vector<float> parse_floats(const std::string& s, const std::string& key,
                                const std::string& path) {
  std::vector<float> v;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    const std::string field = s.substr(pos, end - pos);
    char* stop = nullptr;
    const float x = std::strtof(field.c_str(), &stop);
    if (field.empty() || *stop != '\0' || !std::isfinite(x)) {
      throw Error(path + ": metadata '" + key + "' has a bad value '" + field + "'");
    }
    v.push_back(x);
    pos = end + 1;
  }
  return v;
}
}  // namespace

InputScaling input_scaling_from_metadata(const std::map<std::string, std::string>& meta,
                                         size_t features, const std::string& path) {
  InputScaling s;
  const auto m = meta.find(kMetaStandardizeMean), d = meta.find(kMetaStandardizeStd);
  if (m == meta.end() && d == meta.end()) return s;
  if (m == meta.end() || d == meta.end()) {
    throw Error(path + ": metadata has only one of '" + std::string(kMetaStandardizeMean) +
                "' and '" + kMetaStandardizeStd + "'");
  }
  s.mean = parse_floats(m->second, m->first, path);
  s.std = parse_floats(d->second, d->first, path);
  if (s.mean.size() != features || s.std.size() != features) {
    throw Error(path + ": metadata standardisation has " + std::to_string(s.mean.size()) +
                " values for " + std::to_string(features) + " inputs");
  }
  for (float v : s.std) {
    if (!(v > 0)) throw Error(path + ": metadata '" + d->first + "' has a std <= 0");
  }
  return s;
}

ProbaFn network_proba(const Network<float>& net, std::vector<float> mean, std::vector<float> std) {
  const size_t f = numel(net.input_dims());
  if (!mean.empty() && (mean.size() != f || std.size() != f)) {
    throw Error("standardisation has " + std::to_string(mean.size()) + " means and " +
                std::to_string(std.size()) + " stds for " + std::to_string(f) + " inputs");
  }
  auto ws = std::make_shared<Workspace<float>>();
  return [&net, ws, mean = std::move(mean), std = std::move(std), f](const float* x, int n,
                                                                     float* probs) {
    const int k = net.num_classes();
    // Chunks keep the workspace small however many grid points are asked for.
    constexpr int kChunk = 4096;
    std::vector<float> z;
    for (int s = 0; s < n; s += kChunk) {
      const int m = std::min(kChunk, n - s);
      const float* in = x + static_cast<size_t>(s) * f;
      if (!mean.empty()) {
        z.assign(in, in + static_cast<size_t>(m) * f);
        for (size_t i = 0; i < z.size(); ++i) z[i] = (z[i] - mean[i % f]) / std[i % f];
        in = z.data();
      }
      const float* logits = net.forward(in, m, *ws);
      softmax(logits, m, k, probs + static_cast<size_t>(s) * k);
    }
  };
}

}  // namespace handgrad
