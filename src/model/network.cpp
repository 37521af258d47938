// Building a network from the layer table, and its views into the flat
// parameter and buffer blocks.
#include "handgrad/model/network.h"

#include "handgrad/core/error.h"
#include "handgrad/layers/arch.h"
#include "model/plan.h"

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
// forward() and loss_and_grad(): the plain layers, one op each, every
// input gradient computed (gradcheck asks for dL/dx).
PlanOptions reference_plan() {
  PlanOptions o;
  o.fuse = false;
  o.all_input_grads = true;
  return o;
}
}  // namespace

template <class T>
Network<T>::Network(const std::string& arch, const Dims& input) : input_(input) {
  const auto specs = parse_arch(arch);
  check_size(input, "the input ");
  Dims dims = input;
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
    add_tensors(i, where);
  }
  plan_ = std::make_unique<Plan<T>>(*this, reference_plan());
}

// Appends layer i's tensors to the views; the blocks are sized at the end.
template <class T>
void Network<T>::add_tensors(size_t i, const std::string& where) {
  size_t p = params_info_.empty() ? 0 : params_info_.back().offset + params_info_.back().size;
  size_t b = buffers_info_.empty() ? 0 : buffers_info_.back().offset + buffers_info_.back().size;
  layer_offset_.push_back(p);
  buffer_offset_.push_back(b);
  for (const TensorDef& t : layers_[i]->tensors()) {
    const size_t size = numel(t.dims);
    size_t& at = t.trainable ? p : b;
    (t.trainable ? params_info_ : buffers_info_)
        .push_back({std::to_string(i) + "." + t.name, t.dims, at, size, static_cast<int>(i),
                    t.trainable, t.dtype});
    at += size;
    if (size > kMaxParams || p + b > kMaxParams) {
      throw UsageError("architecture: " + where + "the network would have over " +
                       std::to_string(kMaxParams) + " parameters");
    }
  }
  params_.resize(p);
  buffers_.resize(b);
}

template <class T>
Network<T>::~Network() = default;

template <class T>
Network<T>::Network(Network&& o) noexcept
    : input_(std::move(o.input_)),
      layers_(std::move(o.layers_)),
      params_info_(std::move(o.params_info_)),
      buffers_info_(std::move(o.buffers_info_)),
      layer_offset_(std::move(o.layer_offset_)),
      buffer_offset_(std::move(o.buffer_offset_)),
      params_(std::move(o.params_)),
      buffers_(std::move(o.buffers_)),
      norm_(std::move(o.norm_)),
      plan_(std::make_unique<Plan<T>>(*this, reference_plan())) {}  // the plan points at *this

template <class T>
Network<T>& Network<T>::operator=(Network&& o) noexcept {
  input_ = std::move(o.input_);
  layers_ = std::move(o.layers_);
  params_info_ = std::move(o.params_info_);
  buffers_info_ = std::move(o.buffers_info_);
  layer_offset_ = std::move(o.layer_offset_);
  buffer_offset_ = std::move(o.buffer_offset_);
  params_ = std::move(o.params_);
  buffers_ = std::move(o.buffers_);
  norm_ = std::move(o.norm_);
  plan_ = std::make_unique<Plan<T>>(*this, reference_plan());
  return *this;
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
bool Network<T>::couples_batch() const {
  for (const auto& l : layers_) {
    if (l->couples_batch()) return true;
  }
  return false;
}

template <class T>
const ParamInfo& Network<T>::find_param(const std::string& name) const {
  for (const auto* list : {&params_info_, &buffers_info_}) {
    for (const auto& p : *list) {
      if (p.name == name) return p;
    }
  }
  throw Error("the network has no parameter tensor '" + name + "'");
}

template <class T>
void Network<T>::set_input_norm(InputNorm n) {
  if (!n.empty() && n.mean.size() != numel(input_)) {
    throw UsageError("the input normalisation has " + std::to_string(n.mean.size()) +
                     " features but the network takes " + std::to_string(numel(input_)));
  }
  norm_ = std::move(n);
}

template <class T>
void Network<T>::init(uint64_t seed, Init scheme) {
  Rng rng(seed);
  for (size_t i = 0; i < layers_.size(); ++i) {
    layers_[i]->init(params_.data() + layer_offset_[i], buffers_.data() + buffer_offset_[i], rng,
                     scheme);
  }
}

template <class T>
const T* Network<T>::forward(const T* x, int n, Workspace<T>& ws) const {
  // Evaluation mode writes no buffers.
  return plan_->forward(params(), const_cast<T*>(buffers()), x, n, RunInfo{Mode::eval}, ws);
}

template <class T>
double Network<T>::loss_and_grad(const T* x, const int* labels, int n, int batch_total,
                                 Workspace<T>& ws, T* grads, T* dinput, const RunInfo& run,
                                 const LossDef& loss) {
  return plan_->loss_and_grad(params(), buffers(), x, labels, n, batch_total, loss, run, ws, grads,
                              dinput);
}

template class Network<float>;
template class Network<double>;

}  // namespace handgrad
