// Networks to and from safetensors files.
#include "handgrad/model/model_file.h"

#include <algorithm>
#include <cmath>

#include "handgrad/core/error.h"
#include "handgrad/core/finite.h"

namespace handgrad {

namespace {
// Every tensor of the network with where its values live.
template <class Net, class F>
void for_each_tensor(Net& net, F&& f) {
  for (const auto& p : net.param_info()) f(p, net.params() + p.offset);
  for (const auto& b : net.buffer_info()) f(b, net.buffers() + b.offset);
}
}  // namespace

void save_model(const std::string& path, const Network<float>& net,
                const std::map<std::string, std::string>& extra) {
  SafeTensors st;
  st.metadata = extra;
  st.metadata["arch"] = net.arch();
  st.metadata["input"] = dims_str(net.input_dims());
  st.metadata["classes"] = std::to_string(net.num_classes());
  st.metadata["handgrad_version"] = HANDGRAD_VERSION;
  if (!net.input_norm().empty()) st.metadata["standardize"] = net.input_norm().to_json();
  for_each_tensor(net, [&](const ParamInfo& p, const float* src) {
    if (p.dtype == DType::i64) {
      std::vector<int64_t> v(p.size);
      for (size_t i = 0; i < p.size; ++i) v[i] = static_cast<int64_t>(src[i]);
      st.tensors.push_back({p.name, p.dims, {}, DType::i64, std::move(v)});
    } else {
      st.tensors.push_back({p.name, p.dims, std::vector<float>(src, src + p.size)});
    }
  });
  write_safetensors(path, st);
}

void load_params(const SafeTensors& st, Network<float>& net, const std::string& path) {
  for_each_tensor(net, [&](const ParamInfo& p, float*) {
    const NamedTensor* t = st.find(p.name);
    if (!t) {
      throw Error(path + ": tensor '" + p.name + "' is missing (the architecture needs shape " +
                  dims_str(p.dims) + ")");
    }
    if (t->shape != p.dims) {
      throw Error(path + ": tensor '" + p.name + "' has shape " + dims_str(t->shape) +
                  " but the architecture needs " + dims_str(p.dims));
    }
    if (t->dtype != p.dtype) {
      throw Error(path + ": tensor '" + p.name + "' has dtype " + dtype_name(t->dtype) +
                  " but the architecture needs " + dtype_name(p.dtype));
    }
  });
  for (const auto& t : st.tensors) {
    bool known = false;
    for_each_tensor(net, [&](const ParamInfo& p, float*) { known = known || p.name == t.name; });
    if (!known) {
      throw Error(path + ": tensor '" + t.name + "' (shape " + dims_str(t.shape) +
                  ") is not a parameter of the architecture '" + net.arch() + "'");
    }
  }
  // A diverged run's parameters are not a model (predict printed "0 (-nan)").
  for_each_tensor(net, [&](const ParamInfo& p, float*) {
    const NamedTensor* t = st.find(p.name);
    const size_t bad = first_non_finite(t->data.data(), t->data.size());
    if (bad < t->data.size()) {
      throw Error(path + ": tensor '" + p.name + "' holds " +
                  (std::isnan(t->data[bad]) ? "NaN" : "an infinite value") + " (at index " +
                  std::to_string(bad) +
                  "): the model diverged in training and cannot be used; train again with a "
                  "smaller --lr or --clip-grad-norm");
    }
  });
  for_each_tensor(net, [&](const ParamInfo& p, float* dst) {
    const NamedTensor* t = st.find(p.name);
    if (t->dtype == DType::i64) {
      for (size_t i = 0; i < p.size; ++i) dst[i] = static_cast<float>(t->ints[i]);
    } else {
      std::copy(t->data.begin(), t->data.end(), dst);
    }
  });
}

InputNorm input_norm_from_metadata(const std::map<std::string, std::string>& meta, size_t features,
                                   const std::string& where) {
  const auto it = meta.find("standardize");
  if (it == meta.end() || it->second.empty()) return {};
  InputNorm n = InputNorm::from_json(it->second, where);
  if (n.mean.size() != features) {
    throw Error(where + ": the model's standardisation has " + std::to_string(n.mean.size()) +
                " features but the network takes " + std::to_string(features));
  }
  return n;
}

LoadedModel load_model(const std::string& path) {
  SafeTensors st = read_safetensors(path);
  for (const char* key : {"arch", "input"}) {
    if (!st.metadata.count(key)) {
      throw Error(path + ": __metadata__ has no \"" + key +
                  "\" (not a handgrad model; for bare weights use --init with --arch)");
    }
  }
  try {
    const Dims input = parse_dims(st.metadata["input"]);
    Network<float> net(st.metadata["arch"], input);
    if (st.metadata.count("classes") &&
        st.metadata["classes"] != std::to_string(net.num_classes())) {
      throw Error("metadata says " + st.metadata["classes"] + " classes but the architecture has " +
                  std::to_string(net.num_classes()));
    }
    load_params(st, net, path);
    net.set_input_norm(input_norm_from_metadata(st.metadata, numel(input), path));
    return {std::move(net), std::move(st.metadata)};
  } catch (const Error& e) {
    const std::string msg = e.what();
    if (msg.rfind(path + ":", 0) == 0) throw Error(msg);
    throw Error(path + ": " + msg);
  }
}

}  // namespace handgrad
