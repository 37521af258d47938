#include "handgrad/train/gradcheck.h"

#include <algorithm>
#include <cmath>

#include "handgrad/model/network.h"

namespace handgrad {

namespace {
constexpr double kStep = 1e-6;

// Indices to check: all of them, or a random subset of max_checks.
std::vector<size_t> pick(size_t n, size_t max_checks, Rng& rng) {
  std::vector<size_t> idx;
  if (n <= max_checks) {
    for (size_t i = 0; i < n; ++i) idx.push_back(i);
  } else {
    for (size_t i = 0; i < max_checks; ++i) idx.push_back(rng.below(n));
  }
  return idx;
}

// Central difference of f with respect to x[i] at each picked index.
template <class F>
std::vector<double> numeric(double* x, const std::vector<size_t>& idx, F&& f) {
  std::vector<double> g;
  for (size_t i : idx) {
    const double keep = x[i];
    x[i] = keep + kStep;
    const double up = f();
    x[i] = keep - kStep;
    const double down = f();
    x[i] = keep;
    g.push_back((up - down) / (2 * kStep));
  }
  return g;
}

std::vector<double> gather(const double* g, const std::vector<size_t>& idx) {
  std::vector<double> v;
  for (size_t i : idx) v.push_back(g[i]);
  return v;
}

void fill_normal(Buffer<double>& b, Rng& rng) {
  for (size_t i = 0; i < b.size(); ++i) b[i] = rng.normal();
}
}  // namespace

double max_rel_error(const std::vector<double>& a, const std::vector<double>& b) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs(a[i] - b[i]));
    scale = std::max({scale, std::fabs(a[i]), std::fabs(b[i])});
  }
  // Both zero to the precision of a central difference: compared absolutely.
  return scale < kZeroGradient ? diff : diff / scale;
}

bool GradReport::ok(double tol) const {
  return worst() <= tol;
}

double GradReport::worst() const {
  double w = 0;
  for (const auto& r : layers) w = std::max(w, r.max_rel_error);
  for (const auto& r : params) w = std::max(w, r.max_rel_error);
  return w;
}

// Sizes of a layer's trainable tensors and of its buffers.
std::pair<size_t, size_t> tensor_sizes(const Layer<double>& layer) {
  size_t p = 0, b = 0;
  for (const auto& t : layer.tensors()) (t.trainable ? p : b) += numel(t.dims);
  return {p, b};
}

std::vector<GradRow> gradcheck_layer(const Layer<double>& layer, int n, uint64_t seed,
                                     size_t max_checks, Mode mode) {
  // Batch statistics of 2 values put every x-hat at +-1, where the output
  // hardly moves with x: the check would measure rounding noise.
  if (layer.couples_batch()) n = std::max(n, kMinCoupledBatch);
  Rng rng(seed);
  const size_t in_size = static_cast<size_t>(n) * numel(layer.in_dims());
  const size_t out_size = static_cast<size_t>(n) * numel(layer.out_dims());
  const auto [p_size, b_size] = tensor_sizes(layer);

  Buffer<double> x(in_size), r(out_size), params(p_size), buffers(b_size), out(out_size), saved;
  // Buffers (running statistics) as the layer initialises them; parameters
  // random, so that no gradient is trivially zero.
  Rng init_rng(seed ^ 0x9E3779B97F4A7C15ULL);
  layer.init(params.data(), buffers.data(), init_rng, Init::torch);
  fill_normal(x, rng);
  fill_normal(r, rng);
  fill_normal(params, rng);
  Pass<double> pass;
  pass.params = params.data();
  pass.buffers = buffers.data();
  pass.saved = &saved;
  pass.mode = mode;
  pass.seed = seed;
  pass.n = n;
  // L = sum(out * r): dL/dout = r. The same pass (mode, seed) every time, so
  // a train-mode mask is the same mask.
  auto loss = [&] {
    layer.forward(pass, x.data(), out.data());
    double s = 0;
    for (size_t i = 0; i < out_size; ++i) s += out[i] * r[i];
    return s;
  };
  loss();
  Buffer<double> dx(in_size), dparams(p_size);
  layer.backward(pass, x.data(), out.data(), r.data(), dx.data(), dparams.data());

  std::vector<GradRow> rows;
  const std::string name =
      layer.spec() + " on " + dims_str(layer.in_dims()) + (mode == Mode::eval ? " (eval)" : "");
  auto idx = pick(in_size, max_checks, rng);
  rows.push_back({name + ": input",
                  max_rel_error(gather(dx.data(), idx), numeric(x.data(), idx, loss)), idx.size()});
  size_t off = 0;
  for (const auto& t : layer.tensors()) {
    if (!t.trainable) continue;
    const size_t sz = numel(t.dims);
    idx = pick(sz, max_checks, rng);
    rows.push_back(
        {name + ": " + t.name,
         max_rel_error(gather(dparams.data() + off, idx), numeric(params.data() + off, idx, loss)),
         idx.size()});
    off += sz;
  }
  return rows;
}

namespace {

// The whole network under the given loss in one mode: each parameter
// tensor and the input. Train mode: batch statistics and the masks of a
// fixed step key (the same in every evaluation of the loss).
void check_network_mode(Network<double>& net, const Buffer<double>& x0,
                        const std::vector<int>& labels, int n, const RunInfo& run,
                        size_t max_checks, const LossDef& loss_def, Rng& rng,
                        std::vector<GradRow>& out) {
  Buffer<double> x = x0;
  Workspace<double> ws;
  Buffer<double> grads(net.num_params()), dx(x.size()), scratch(net.num_params());
  net.loss_and_grad(x.data(), labels.data(), n, n, ws, grads.data(), dx.data(), run, loss_def);
  auto loss = [&] {
    return net.loss_and_grad(x.data(), labels.data(), n, n, ws, scratch.data(), nullptr, run,
                             loss_def) /
           n;
  };
  const std::string suffix = run.mode == Mode::eval ? " (eval)" : "";
  for (const auto& p : net.param_info()) {
    auto idx = pick(p.size, max_checks, rng);
    out.push_back({p.name + suffix,
                   max_rel_error(gather(grads.data() + p.offset, idx),
                                 numeric(net.params() + p.offset, idx, loss)),
                   idx.size()});
  }
  auto idx = pick(x.size(), max_checks, rng);
  out.push_back({"input" + suffix,
                 max_rel_error(gather(dx.data(), idx), numeric(x.data(), idx, loss)), idx.size()});
}

}  // namespace

GradReport gradcheck_network(const std::string& arch, const Dims& input, int n, uint64_t seed,
                             size_t max_checks, const LossDef& loss_def) {
  Network<double> net(arch, input);
  const int k = net.num_classes();
  GradReport report;
  for (Mode mode : {Mode::train, Mode::eval}) {
    for (size_t i = 0; i < net.num_layers(); ++i) {
      for (auto& row : gradcheck_layer(net.layer(i), n, seed + i, max_checks, mode)) {
        row.what = "layer " + std::to_string(i) + " " + row.what;
        report.layers.push_back(std::move(row));
      }
    }
  }

  Rng rng(seed);
  net.init(seed);
  Buffer<double> x(static_cast<size_t>(n) * numel(input));
  for (size_t i = 0; i < x.size(); ++i) x[i] = rng.uniform(-1, 1);
  std::vector<int> labels(static_cast<size_t>(n));
  for (auto& y : labels) y = static_cast<int>(rng.below(static_cast<uint64_t>(k)));
  // Training mode first: its passes also move the running statistics away
  // from their initial values, which evaluation mode then uses.
  check_network_mode(net, x, labels, n, RunInfo{Mode::train, step_key(seed, 0), 0}, max_checks, loss_def,
                     rng, report.params);
  check_network_mode(net, x, labels, n, RunInfo{Mode::eval}, max_checks, loss_def, rng,
                     report.params);
  return report;
}

}  // namespace handgrad
