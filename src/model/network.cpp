#include "handgrad/network.h"

#include <algorithm>

#include "handgrad/arch.h"
#include "handgrad/error.h"
#include "handgrad/loss.h"

namespace handgrad {

namespace {
// Refuse networks too large to hold before anything that size is allocated
// (an architecture string is user input: "linear(2000000000)" must be an
// error, not a multi-terabyte allocation or an int overflow in a layer).
// Per sample, every activation must stay below 2^26 values (256 MiB as
// float); all parameters together below 2^26 too (the seed networks have
// about 10^5; a cap far above that still keeps one construction under a
// second and its memory under 256 MiB).
constexpr size_t kMaxActivation = size_t(1) << 26;
constexpr size_t kMaxParams = size_t(1) << 26;
// Depth and the activations of all layers together, which the backward pass
// keeps per sample (evaluation runs 500 samples at once): 12,000 identity
// layers took 11.3 GB. ResNet-152 has ~150 layers; 1000 is far beyond what
// this CPU library trains. 2^24 values are 64 MiB of float per sample.
constexpr size_t kMaxLayers = 1000;
constexpr size_t kMaxActivationTotal = size_t(1) << 24;

void check_size(const Dims& d, const std::string& where) {
  size_t n = 1;
  for (int v : d) {
    if (v <= 0) throw UsageError("architecture: " + where + "gives an empty shape " + dims_str(d));
    n *= static_cast<size_t>(v);
    if (n > kMaxActivation) {
      throw UsageError("architecture: " + where + "shape " + dims_str(d) + " is too large (over " +
                       std::to_string(kMaxActivation) + " values per sample)");
    }
  }
}
}  // namespace

template <class T>
Network<T>::Network(const std::string& arch, const Dims& input) : input_(input) {
  const auto specs = parse_arch(arch);
  if (specs.size() > kMaxLayers) {
    throw UsageError("architecture: " + std::to_string(specs.size()) +
                     " layers, over the limit of " + std::to_string(kMaxLayers));
  }
  check_size(input, "the input ");
  Dims dims = input;
  size_t offset = 0, activations = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    const auto& s = specs[i];
    const std::string where =
        "layer " + std::to_string(i) + " '" + s.text + "' (input " + dims_str(dims) + "): ";
    try {
      layers_.push_back(make_layer<T>(s.name, s.args));
      dims = layers_.back()->configure(dims);
    } catch (const UsageError& e) {
      throw UsageError("architecture: " + where + e.what());
    }
    check_size(dims, where + "its output ");
    layer_offset_.push_back(offset);
    for (const auto& p : layers_.back()->param_shapes()) {
      const size_t size = numel(p.dims);
      params_info_.push_back(
          {std::to_string(i) + "." + p.name, p.dims, offset, size, static_cast<int>(i)});
      offset += size;
      if (size > kMaxParams || offset > kMaxParams) {
        throw UsageError("architecture: " + where + "the network would have over " +
                         std::to_string(kMaxParams) + " parameters");
      }
    }
    // After the parameters: a huge linear layer is a parameter problem first.
    activations += numel(dims);
    if (activations > kMaxActivationTotal) {
      throw UsageError("architecture: " + where + "the layers' outputs so far hold " +
                       std::to_string(activations) + " values per sample, over the limit of " +
                       std::to_string(kMaxActivationTotal) + " (64 MiB of float32)");
    }
  }
  params_.resize(offset);
}

template <class T>
std::string Network<T>::arch() const {
  std::string s;
  for (const auto& l : layers_) s += (s.empty() ? "" : " ") + l->spec();
  return s;
}

template <class T>
int Network<T>::num_classes() const {
  const Dims& d = output_dims();
  if (d.size() != 1) {
    throw UsageError("architecture: the network's output " + dims_str(d) +
                     " is not flat; end it with 'flatten linear(K)' for K classes");
  }
  return d[0];
}

template <class T>
const ParamInfo& Network<T>::find_param(const std::string& name) const {
  for (const auto& p : params_info_) {
    if (p.name == name) return p;
  }
  throw Error("the network has no parameter tensor '" + name + "'");
}

template <class T>
void Network<T>::init(uint64_t seed, Init scheme) {
  Rng rng(seed);
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->init(params_.data() + layer_offset_[i], rng, scheme);
  }
}

template <class T>
const T* Network<T>::forward(const T* x, int n, Workspace<T>& ws) const {
  ws.acts.resize(layers_.size());
  const T* in = x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    ws.acts[i].resize(static_cast<size_t>(n) * numel(layers_[i]->out_dims()));
    layers_[i]->forward(params_.data() + layer_offset_[i], in, ws.acts[i].data(), n);
    in = ws.acts[i].data();
  }
  return in;
}

template <class T>
void Network<T>::backward(const T* x, const T* dlogits, int n, Workspace<T>& ws, T* grads,
                          T* dinput) const {
  size_t biggest = 0;
  for (const auto& l : layers_) biggest = std::max(biggest, numel(l->in_dims()));
  ws.grad_a.resize(static_cast<size_t>(n) * biggest);
  ws.grad_b.resize(static_cast<size_t>(n) * biggest);
  const T* dout = dlogits;
  T* bufs[2] = {ws.grad_a.data(), ws.grad_b.data()};
  for (size_t k = layers_.size(); k-- > 0;) {
    const T* in = k == 0 ? x : ws.acts[k - 1].data();
    T* din = k == 0 ? dinput : bufs[k % 2];
    layers_[k]->backward(params_.data() + layer_offset_[k], in, ws.acts[k].data(), dout, din,
                         grads + layer_offset_[k], n);
    dout = din;
  }
}

template <class T>
double Network<T>::loss_and_grad(const T* x, const int* labels, int n, int batch_total,
                                 Workspace<T>& ws, T* grads, T* dinput) const {
  const int k = num_classes();
  const T* logits = forward(x, n, ws);
  ws.dlogits.resize(static_cast<size_t>(n) * k);
  const double loss = softmax_cross_entropy(logits, labels, n, k, ws.dlogits.data(), batch_total);
  backward(x, ws.dlogits.data(), n, ws, grads, dinput);
  return loss;
}

template class Network<float>;
template class Network<double>;

}  // namespace handgrad
