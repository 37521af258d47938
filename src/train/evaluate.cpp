// Test-set loss, accuracy and confusion matrix, in batches through StepRunner.
#include "handgrad/train/evaluate.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "handgrad/core/error.h"
#include "handgrad/model/pass_size.h"

namespace handgrad {

void check_data_fits(const Network<float>& net, const Dataset& data, const std::string& what) {
  if (data.sample_dims != net.input_dims()) {
    throw UsageError(what + ": samples are " + dims_str(data.sample_dims) +
                     " but the network takes " + dims_str(net.input_dims()));
  }
  const int k = net.num_classes();
  for (int i = 0; i < data.size(); ++i) {
    const int y = data.y[static_cast<size_t>(i)];
    if ((y < 0 || y >= k) && static_cast<size_t>(i) < data.line.size()) {
      throw UsageError(data.source + ":" + std::to_string(data.line[static_cast<size_t>(i)]) +
                       ": label " + std::to_string(y) + " but the network (" + what + ") has " +
                       std::to_string(k) + " classes (labels 0.." + std::to_string(k - 1) + ")");
    }
    if ((y < 0 || y >= k) && !data.source.empty()) {
      throw UsageError(data.source + ": sample " + std::to_string(i) +
                       " (0-based, in the file's order) has label " + std::to_string(y) +
                       " but the network (" + what + ") has " + std::to_string(k) +
                       " classes (labels 0.." + std::to_string(k - 1) + ")");
    }
    if (y < 0 || y >= k) {
      throw UsageError(what + ": sample " + std::to_string(i) + " has label " + std::to_string(y) +
                       " but the network has " + std::to_string(k) + " classes (labels 0.." +
                       std::to_string(k - 1) + ")");
    }
  }
}

EvalResult evaluate(StepRunner& runner, const Network<float>& net, const Dataset& data, int batch) {
  check_data_fits(net, data, data.name);
  if (batch <= 0) batch = samples_per_pass(net, 500);
  const int k = net.num_classes();
  EvalResult r;
  r.n = data.size();
  r.confusion.assign(static_cast<size_t>(k), std::vector<long>(static_cast<size_t>(k), 0));
  std::vector<int> idx(static_cast<size_t>(batch)), yb(static_cast<size_t>(batch));
  std::vector<float> xb(static_cast<size_t>(batch) * data.sample_size());
  std::vector<float> logits(static_cast<size_t>(batch) * k);  // (batch, k)
  double loss_sum = 0;
  long correct = 0;
  for (int start = 0; start < r.n; start += batch) {
    const int n = std::min(batch, r.n - start);
    std::iota(idx.begin(), idx.begin() + n, start);
    gather_batch(data, idx.data(), n, xb.data(), yb.data());
    runner.predict(xb.data(), n, logits.data());
    loss_sum += runner.loss()(logits.data(), yb.data(), n, k, static_cast<float*>(nullptr), n);
    for (int i = 0; i < n; ++i) {
      const float* row = logits.data() + static_cast<size_t>(i) * k;
      const int pred = static_cast<int>(std::max_element(row, row + k) - row);
      ++r.confusion[static_cast<size_t>(yb[i])][static_cast<size_t>(pred)];
      correct += pred == yb[i];
    }
  }
  r.loss = r.n > 0 ? loss_sum / r.n : 0;
  r.accuracy = r.n > 0 ? static_cast<double>(correct) / r.n : 0;
  return r;
}

std::string format_confusion(const std::vector<std::vector<long>>& m) {
  long widest = 1;
  for (const auto& row : m) {
    for (long v : row) widest = std::max(widest, v);
  }
  const int w = std::min(20, std::max(3, static_cast<int>(std::to_string(widest).size()) + 1));
  char buf[96];
  std::string s = "true\\pred";
  for (size_t p = 0; p < m.size(); ++p) {
    std::snprintf(buf, sizeof buf, "%*zu", w, p);
    s += buf;
  }
  s += "\n";
  for (size_t t = 0; t < m.size(); ++t) {
    std::snprintf(buf, sizeof buf, "%9zu", t);
    s += buf;
    for (long v : m[t]) {
      std::snprintf(buf, sizeof buf, "%*ld", w, v);
      s += buf;
    }
    s += "\n";
  }
  return s;
}

}  // namespace handgrad
