#include "relu_report.h"

#include <algorithm>
#include <numeric>

namespace handgrad {

std::vector<ReluReport> dead_relu_report(const Network<float>& net, const Dataset& d, int limit) {
  std::vector<size_t> relus;
  for (size_t i = 0; i < net.num_layers(); ++i) {
    if (net.layer(i).spec() == "relu") relus.push_back(i);
  }
  // alive[r][u]: unit u of the r-th ReLU was positive at least once.
  std::vector<std::vector<char>> alive(relus.size());
  for (size_t r = 0; r < relus.size(); ++r) {
    const Dims& dims = net.layer(relus[r]).out_dims();
    alive[r].assign(static_cast<size_t>(dims.size() == 3 ? dims[0] : numel(dims)), 0);
  }
  const int n_total = limit > 0 ? std::min(limit, d.size()) : d.size();
  const int batch = 256;
  Workspace<float> ws;
  std::vector<int> idx(batch), yb(batch);
  std::vector<float> xb(static_cast<size_t>(batch) * d.sample_size());
  for (int start = 0; start < n_total; start += batch) {
    const int n = std::min(batch, n_total - start);
    std::iota(idx.begin(), idx.begin() + n, start);
    gather_batch(d, idx.data(), n, xb.data(), yb.data());
    net.forward(xb.data(), n, ws);
    for (size_t r = 0; r < relus.size(); ++r) {
      const Dims& dims = net.layer(relus[r]).out_dims();
      const size_t per = numel(dims), units = alive[r].size(), spatial = per / units;
      const float* a = ws.acts[relus[r]].data();  // (n, per)
      for (size_t s = 0; s < static_cast<size_t>(n); ++s) {
        for (size_t e = 0; e < per; ++e) {
          if (a[s * per + e] > 0) alive[r][e / spatial] = 1;
        }
      }
    }
  }
  std::vector<ReluReport> out;
  for (size_t r = 0; r < relus.size(); ++r) {
    const Dims& dims = net.layer(relus[r]).out_dims();
    ReluReport rep;
    rep.layer = static_cast<int>(relus[r]);
    rep.what = dims.size() == 3 ? "channels" : "units";
    rep.total = static_cast<long>(alive[r].size());
    rep.dead = static_cast<long>(std::count(alive[r].begin(), alive[r].end(), 0));
    out.push_back(rep);
  }
  return out;
}

}  // namespace handgrad
