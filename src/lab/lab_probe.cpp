#include "lab_probe.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "handgrad/layers/loss.h"
#include "handgrad/model/presets.h"
#include "lab_error.h"
#include "lab_views.h"

namespace handgrad::lab {

using nlohmann::json;

namespace {

// The seed CNN's layers and their equations (docs/math.md): the forward
// equation, the one that gives dL/d(this layer's output), and those of the
// parameter gradients.
struct Eqs {
  int forward, dout;
  int dweight = 0, dbias = 0;
};
const std::map<int, Eqs>& seed_cnn_eqs() {
  static const std::map<int, Eqs> m = {
      {0, {1, 33, 34, 35}}, {1, {2, 32}},          {2, {3, 31}}, {3, {4, 26, 27, 28}},
      {4, {5, 25}},         {5, {6, 24}},          {6, {7, 23}}, {7, {8, 19, 20, 21}},
      {8, {9, 19}},         {9, {10, 14, 15, 16}},
  };
  return m;
}

bool is_seed_cnn(const Network<float>& net) {
  static const std::string arch = [] {
    const Preset& p = find_preset("seed-cnn");
    return Network<float>(p.arch, p.input).arch();
  }();
  return net.arch() == arch && net.input_dims() == Dims{1, 28, 28};
}

json top_json(const std::vector<float>& probs, int top) {
  std::vector<int> order(probs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return probs[static_cast<size_t>(a)] > probs[static_cast<size_t>(b)];
  });
  json t = json::array();
  for (int i = 0; i < std::min<int>(top, static_cast<int>(order.size())); ++i) {
    t.push_back({{"class", order[static_cast<size_t>(i)]},
                 {"probability", probs[static_cast<size_t>(order[static_cast<size_t>(i)])]}});
  }
  return t;
}

json layer_json(const Network<float>& net, size_t i, const float* act,
                const std::vector<float>& dout, const std::vector<float>& grads, bool seed) {
  const Layer<float>& l = net.layer(i);
  json j = {{"index", i},
            {"spec", l.spec()},
            {"out_dims", l.out_dims()},
            {"activation", quantized(act, numel(l.out_dims()), l.out_dims())},
            {"grad", quantized(dout.data(), dout.size(), l.out_dims())}};
  const auto eqs = seed ? seed_cnn_eqs().find(static_cast<int>(i)) : seed_cnn_eqs().end();
  if (eqs != seed_cnn_eqs().end()) {
    j["eq_forward"] = eqs->second.forward;
    j["eq_grad"] = eqs->second.dout;
  }
  // The layer's trainable tensors, as the network's views place them.
  json params = json::array();
  for (const ParamInfo& p : net.param_info()) {
    if (p.layer != static_cast<int>(i)) continue;
    const std::string tensor = p.name.substr(p.name.find('.') + 1);
    json pj = {{"name", p.name},
               {"value", quantized(net.params() + p.offset, p.size, p.dims)},
               {"grad", quantized(grads.data() + p.offset, p.size, p.dims)}};
    if (eqs != seed_cnn_eqs().end()) {
      const int e = tensor == "weight" ? eqs->second.dweight
                    : tensor == "bias" ? eqs->second.dbias
                                       : 0;
      if (e > 0) pj["eq_grad"] = e;
    }
    params.push_back(std::move(pj));
  }
  j["params"] = params;
  return j;
}

}  // namespace

Probe run_probe(const Network<float>& net, const std::vector<float>& x, int target) {
  if (x.size() != numel(net.input_dims())) {
    throw ApiError(400, "the input has " + std::to_string(x.size()) + " values, the model takes " +
                            dims_str(net.input_dims()));
  }
  Probe p;
  const int k = net.num_classes();
  if (target >= k) {
    throw ApiError(400, "target: must be a class in [0, " + std::to_string(k) + ")", "target");
  }
  const float* logits = net.forward(x.data(), 1, p.ws);
  // Layer 0's input: x after the network's input step.
  const float* x0 = net.input_norm().empty() ? x.data() : p.ws.input.data();
  p.probs.resize(static_cast<size_t>(k));
  softmax(logits, 1, k, p.probs.data());
  p.prediction =
      static_cast<int>(std::max_element(p.probs.begin(), p.probs.end()) - p.probs.begin());
  p.target = target < 0 ? p.prediction : target;
  // L = -log softmax(logits)[target]: dL/dlogits = softmax - onehot(target) (eq. 14, corrected).
  const size_t L = net.num_layers();
  p.dout.resize(L);
  p.dout[L - 1] = p.probs;
  p.dout[L - 1][static_cast<size_t>(p.target)] -= 1;
  p.grads.assign(net.num_params(), 0.0f);  // the backward pass adds into it
  for (size_t i = L; i-- > 0;) {
    const Layer<float>& l = net.layer(i);
    OpBuffers<float>& w = p.ws.ops[i];
    Pass<float> pass;
    pass.params = net.params() + net.param_offset(i);
    pass.buffers = const_cast<float*>(net.buffers()) + net.buffer_offset(i);  // eval: only read
    pass.saved = &w.saved;
    pass.mode = Mode::eval;
    pass.n = 1;
    const float* in = i == 0 ? x0 : p.ws.ops[i - 1].out_ptr.get();
    std::vector<float>& din = i == 0 ? p.dinput : p.dout[i - 1];
    din.assign(numel(l.in_dims()), 0.0f);
    l.backward(pass, in, w.out_ptr, p.dout[i].data(), din.data(),
               p.grads.data() + net.param_offset(i));
  }
  // dL/d(normalised input) -> dL/d(raw input), as Network::loss_and_grad does.
  net.input_norm().chain(p.dinput.data(), 1);
  return p;
}

json probe_json(const Network<float>& net, const std::vector<float>& x, int target, bool layers) {
  const Probe p = run_probe(net, x, target);
  json out = {{"probs", p.probs},
              {"top", top_json(p.probs, 3)},
              {"prediction", p.prediction},
              {"target", p.target}};
  if (!layers) return out;
  const bool seed = is_seed_cnn(net);
  json lj = json::array();
  for (size_t i = 0; i < net.num_layers(); ++i) {
    lj.push_back(layer_json(net, i, p.ws.ops[i].out_ptr, p.dout[i], p.grads, seed));
  }
  out["loss"] = -std::log(std::max(1e-30f, p.probs[static_cast<size_t>(p.target)]));
  out["input"] = quantized(x.data(), x.size(), net.input_dims());  // raw, as drawn
  out["input_grad"] = quantized(p.dinput.data(), p.dinput.size(), net.input_dims());
  out["layers"] = lj;
  out["seed_cnn"] = seed;
  if (seed) out["eq_loss"] = 12;
  return out;
}

}  // namespace handgrad::lab
