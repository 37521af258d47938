// The dead-unit scan runs the fast kernels without fusion, so that the
// output of every layer that can die (Layer::can_die) is there to look at.
#include "relu_report.h"

#include <algorithm>
#include <numeric>

#include "kernels/kernels.h"
#include "model/plan.h"

namespace handgrad {

std::vector<ReluReport> dead_relu_report(const Network<float>& net, const Dataset& d, int limit) {
  std::vector<size_t> layers;
  for (size_t i = 0; i < net.num_layers(); ++i) {
    if (net.layer(i).can_die()) layers.push_back(i);
  }
  // alive[r][u]: unit u of the r-th such layer was positive at least once.
  std::vector<std::vector<char>> alive(layers.size());
  for (size_t r = 0; r < layers.size(); ++r) {
    const Dims& dims = net.layer(layers[r]).out_dims();
    alive[r].assign(static_cast<size_t>(dims.size() == 3 ? dims[0] : numel(dims)), 0);
  }
  const Plan<float> plan(net, PlanOptions{.kernels = fast_kernels(), .fuse = false});
  const int n_total = limit > 0 ? std::min(limit, d.size()) : d.size();
  const int batch = 256;
  Workspace<float> ws;
  std::vector<int> idx(batch), yb(batch);
  std::vector<float> xb(static_cast<size_t>(batch) * d.sample_size());
  for (int start = 0; start < n_total; start += batch) {
    const int n = std::min(batch, n_total - start);
    std::iota(idx.begin(), idx.begin() + n, start);
    gather_batch(d, idx.data(), n, xb.data(), yb.data());
    plan.forward(net.params(), const_cast<float*>(net.buffers()), xb.data(), n,
                 RunInfo{Mode::eval}, ws);
    for (size_t r = 0; r < layers.size(); ++r) {
      const Dims& dims = net.layer(layers[r]).out_dims();
      const size_t per = numel(dims), units = alive[r].size(), spatial = per / units;
      const float* a = ws.ops[layers[r]].out_ptr;  // (n, per); one op per layer unfused
      for (size_t s = 0; s < static_cast<size_t>(n); ++s) {
        for (size_t e = 0; e < per; ++e) {
          if (a[s * per + e] > 0) alive[r][e / spatial] = 1;
        }
      }
    }
  }
  std::vector<ReluReport> out;
  for (size_t r = 0; r < layers.size(); ++r) {
    const Dims& dims = net.layer(layers[r]).out_dims();
    ReluReport rep;
    rep.layer = static_cast<int>(layers[r]);
    rep.what = dims.size() == 3 ? "channels" : "units";
    rep.total = static_cast<long>(alive[r].size());
    rep.dead = static_cast<long>(std::count(alive[r].begin(), alive[r].end(), 0));
    out.push_back(rep);
  }
  return out;
}

}  // namespace handgrad
