#include "lab_views.h"

#include <algorithm>
#include <cmath>

#include "handgrad/core/error.h"
#include "handgrad/layers/loss.h"

namespace handgrad::lab {

using nlohmann::json;

namespace {

// Cell centres of a res x res grid over the window, row 0 at the top: (res*res, 2).
std::vector<float> grid_points(const DataWindow& w, int res) {
  std::vector<float> xy(static_cast<size_t>(res) * res * 2);
  for (int r = 0; r < res; ++r) {
    for (int c = 0; c < res; ++c) {
      const size_t i = (static_cast<size_t>(r) * res + c) * 2;
      xy[i] = static_cast<float>(w.x0 + (c + 0.5) * (w.x1 - w.x0) / res);
      xy[i + 1] = static_cast<float>(w.y1 - (r + 0.5) * (w.y1 - w.y0) / res);
    }
  }
  return xy;
}

// Rounded and kept as float, so the JSON holds "0.961", not 17 digits.
float round_to(double v, double q) {
  return static_cast<float>(std::round(v / q) * q);
}

// A dense layer (category "dense" in the layer table) and where its tensors
// are: weight (out, in) and bias (out), found by name in the network's views.
struct Dense {
  size_t layer;
  int in, out;
  const float *w, *b;
};
std::vector<Dense> dense_layers(const Network<float>& net) {
  std::vector<Dense> out;
  for (size_t i = 0; i < net.num_layers(); ++i) {
    if (net.layer(i).def().category != "dense") continue;
    const std::string at = std::to_string(i) + ".";
    const ParamInfo& w = net.find_param(at + "weight");
    const ParamInfo& b = net.find_param(at + "bias");
    if (w.dims.size() != 2) continue;
    out.push_back({i, w.dims[1], w.dims[0], net.params() + w.offset, net.params() + b.offset});
  }
  return out;
}

// The layers whose outputs are drawn as neuron columns: every layer that
// feeds a dense layer (so the weights are lines between two columns).
std::vector<int> column_layers(const Network<float>& net) {
  std::vector<int> out;
  for (const Dense& d : dense_layers(net)) {
    if (d.layer > 0) out.push_back(static_cast<int>(d.layer) - 1);
  }
  return out;
}

json unit_column(const float* acts, int n, int units, int stride, int offset, int res_u,
                 const std::vector<bool>& dead) {
  json col = json::array();
  std::vector<float> v(static_cast<size_t>(n));
  for (int u = 0; u < units; ++u) {
    for (int i = 0; i < n; ++i)
      v[static_cast<size_t>(i)] = acts[static_cast<size_t>(i) * stride + offset + u];
    json q = quantized(v.data(), v.size(), {res_u, res_u});
    q["dead"] = !dead.empty() && dead[static_cast<size_t>(u)];
    col.push_back(std::move(q));
  }
  return col;
}

}  // namespace

Network<float> network_from(const Snapshot& s) {
  Network<float> net(s.arch, s.input);
  if (s.params.size() != net.num_params() || s.buffers.size() != net.num_buffers()) {
    throw Error("lab snapshot: the tensors do not fit " + s.arch);
  }
  std::copy(s.params.begin(), s.params.end(), net.params());
  std::copy(s.buffers.begin(), s.buffers.end(), net.buffers());
  net.set_input_norm(s.norm);
  return net;
}

DataWindow points_window(const std::vector<Point>& train, const std::vector<Point>& test) {
  Dataset d;
  d.sample_dims = {2};
  for (const auto* set : {&train, &test}) {
    for (const Point& p : *set) {
      d.x.push_back(p[0]);
      d.x.push_back(p[1]);
      d.y.push_back(static_cast<int>(p[2]));
    }
  }
  if (d.size() == 0) return {-1, 1, -1, 1};
  return boundary_window({&d});
}

json quantized(const float* v, size_t n, const Dims& dims) {
  float lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) continue;
    lo = std::min(lo, v[i]);
    hi = std::max(hi, v[i]);
  }
  if (lo > hi) lo = hi = 0;
  std::vector<int> q(n);
  const double span = hi > lo ? hi - lo : 1;
  for (size_t i = 0; i < n; ++i) {
    const double t = std::isfinite(v[i]) ? (v[i] - lo) / span : 0;
    q[i] = static_cast<int>(std::lround(std::clamp(t, 0.0, 1.0) * 255));
  }
  return {{"dims", dims}, {"min", lo}, {"max", hi}, {"q", q}};
}

json boundary_json(const Network<float>& net, const DataWindow& w, int res) {
  const std::vector<float> xy = grid_points(w, res);
  Workspace<float> ws;
  const int n = res * res, k = net.num_classes();
  const float* logits = net.forward(xy.data(), n, ws);
  std::vector<float> probs(static_cast<size_t>(n) * k);
  softmax(logits, n, k, probs.data());
  std::vector<float> rounded(probs.size());
  for (size_t i = 0; i < probs.size(); ++i) rounded[i] = round_to(probs[i], 1e-4);
  return {{"res", res}, {"x0", w.x0},   {"x1", w.x1},      {"y0", w.y0},
          {"y1", w.y1}, {"classes", k}, {"probs", rounded}};
}

namespace {

// Which units of layer li are dead: never above zero on the training points.
std::vector<bool> dead_units(const Network<float>& net, int li, const Workspace<float>& wt,
                             int nt) {
  const Layer<float>& l = net.layer(static_cast<size_t>(li));
  if (!l.can_die() || nt == 0) return {};
  const int units = static_cast<int>(numel(l.out_dims()));
  std::vector<bool> dead(static_cast<size_t>(units), true);
  const float* a = wt.ops[static_cast<size_t>(li)].out_ptr;  // (nt, units)
  for (int i = 0; i < nt; ++i) {
    for (int u = 0; u < units; ++u) {
      if (a[static_cast<size_t>(i) * units + u] > 0) dead[static_cast<size_t>(u)] = false;
    }
  }
  return dead;
}

}  // namespace

json view_json(const Network<float>& net, const std::vector<Point>& train, const DataWindow& w,
               int res, int res_u) {
  json out = boundary_json(net, w, res);
  // Thumbnails: one forward pass over a coarser grid. Network::forward runs
  // one op per layer, so ws.ops[i].out_ptr is layer i's output.
  const std::vector<float> xy = grid_points(w, res_u);
  const int n = res_u * res_u;
  Workspace<float> ws;
  net.forward(xy.data(), n, ws);
  // Dead units: a forward pass over the training points.
  std::vector<float> tp;
  for (const Point& p : train) {
    tp.push_back(p[0]);
    tp.push_back(p[1]);
  }
  const int nt = static_cast<int>(train.size());
  Workspace<float> wt;
  if (nt > 0) net.forward(tp.data(), nt, wt);

  json columns = json::array();
  columns.push_back({{"layer", -1},
                     {"label", "input"},
                     {"units", unit_column(xy.data(), n, 2, 2, 0, res_u, {})}});
  for (int li : column_layers(net)) {
    const Layer<float>& l = net.layer(static_cast<size_t>(li));
    const int units = static_cast<int>(numel(l.out_dims()));
    columns.push_back({{"layer", li},
                       {"label", l.spec()},
                       {"units", unit_column(ws.ops[static_cast<size_t>(li)].out_ptr, n, units,
                                             units, 0, res_u, dead_units(net, li, wt, nt))}});
  }
  const int k = net.num_classes();
  std::vector<float> probs(static_cast<size_t>(n) * k);
  softmax(ws.ops.back().out_ptr.get(), n, k, probs.data());
  columns.push_back({{"layer", static_cast<int>(net.num_layers()) - 1},
                     {"label", "softmax"},
                     {"units", unit_column(probs.data(), n, k, k, 0, res_u, {})}});
  out["columns"] = columns;

  json weights = json::array();
  for (const Dense& d : dense_layers(net)) {
    std::vector<float> wv(static_cast<size_t>(d.out) * d.in), bv(static_cast<size_t>(d.out));
    for (size_t j = 0; j < wv.size(); ++j) wv[j] = round_to(d.w[j], 1e-4);
    for (size_t j = 0; j < bv.size(); ++j) bv[j] = round_to(d.b[j], 1e-4);
    weights.push_back({{"layer", d.layer}, {"out", d.out}, {"in", d.in}, {"w", wv}, {"b", bv}});
  }
  out["weights"] = weights;
  return out;
}

}  // namespace handgrad::lab
