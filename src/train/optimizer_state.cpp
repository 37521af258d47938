#include "optimizer_state.h"

#include <algorithm>
#include <cmath>

#include "handgrad/core/error.h"

namespace handgrad {

SafeTensors optimizer_tensors(const Network<float>& net, Optimizer<float>& opt, long step) {
  SafeTensors out;
  out.metadata = {{"step", std::to_string(step)}, {"optimizer", opt.options().optimizer}};
  const auto state = opt.state();
  for (const auto& p : net.param_info()) {
    for (const auto& s : state) {
      const float* v = s.values->data() + p.offset;
      out.tensors.push_back({p.name + "." + s.name, p.dims, std::vector<float>(v, v + p.size)});
    }
    if (opt.keeps_step()) {
      out.tensors.push_back({p.name + ".step", {}, {static_cast<float>(opt.steps())}});
    }
  }
  return out;
}

namespace {

const NamedTensor& find_tensor(const SafeTensors& st, const std::string& path,
                               const std::string& name, const Dims& dims) {
  const NamedTensor* t = st.find(name);
  if (!t) throw Error(path + ": missing tensor '" + name + "'");
  if (t->shape != dims || t->data.size() != numel(dims)) {
    throw Error(path + ": tensor '" + name + "' has shape " + dims_str(t->shape) + ", expected " +
                dims_str(dims));
  }
  return *t;
}

}  // namespace

void load_optimizer_tensors(const SafeTensors& st, const std::string& path,
                            const Network<float>& net, Optimizer<float>& opt) {
  const auto kind = st.metadata.find("optimizer");
  const std::string& want = opt.options().optimizer;
  if (kind != st.metadata.end() && kind->second != want) {
    throw Error(path + ": holds the state of optimizer '" + kind->second + "', the run uses '" +
                want + "'");
  }
  const auto state = opt.state();
  long steps = -1;
  for (const auto& p : net.param_info()) {
    for (const auto& s : state) {
      const NamedTensor& t = find_tensor(st, path, p.name + "." + s.name, p.dims);
      std::copy(t.data.begin(), t.data.end(), s.values->data() + p.offset);
    }
    if (!opt.keeps_step()) continue;
    const float v = find_tensor(st, path, p.name + ".step", {}).data[0];
    if (!(v >= 0 && v < 16777216.0f && v == std::floor(v)) || (steps >= 0 && v != steps)) {
      throw Error(path + ": tensor '" + p.name + ".step' is not the step count of the others");
    }
    steps = static_cast<long>(v);
  }
  if (steps >= 0) opt.set_steps(steps);
}

}  // namespace handgrad
