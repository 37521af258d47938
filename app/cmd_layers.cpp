// handgrad layers: the layer table (every layer kind, its grammar and its
// PyTorch equivalent), and with --arch/--input a configured network layer by
// layer. --json is what reference/arch.py builds nn.Sequential from.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.h"
#include "handgrad/layers/layer.h"
#include "handgrad/model/network.h"
#include "handgrad/model/presets.h"

namespace handgrad::cli {
namespace {

struct Opts {
  std::string preset, arch, input;
  bool json = false;
};

nlohmann::json table_json() {
  return nlohmann::json::parse(layer_table_json());
}

// The configured network: what each layer is, its shapes, tensors and torch module.
nlohmann::json network_json(const Network<float>& net) {
  nlohmann::json layers = nlohmann::json::array();
  for (size_t i = 0; i < net.num_layers(); ++i) {
    const Layer<float>& l = net.layer(i);
    nlohmann::json tensors = nlohmann::json::array();
    for (const TensorDef& t : l.tensors()) {
      tensors.push_back({{"name", std::to_string(i) + "." + t.name},
                         {"shape", t.dims},
                         {"trainable", t.trainable}});
    }
    layers.push_back({{"index", i},
                      {"name", l.def().name},
                      {"spec", l.spec()},
                      {"args", l.args()},
                      {"in", l.in_dims()},
                      {"out", l.out_dims()},
                      {"tensors", tensors},
                      {"torch", l.torch()}});
  }
  return {{"arch", net.arch()}, {"input", net.input_dims()}, {"layers", layers}};
}

void print_table() {
  std::printf("%-38s %-15s %s\n", "layer", "category", "what it is (torch.nn equivalent)");
  for (const LayerDef* d : layer_table()) {
    std::printf("%-38s %-15s %s (%s)\n", layer_grammar(*d).c_str(), d->category.c_str(),
                d->summary.c_str(), d->torch.c_str());
  }
}

void print_network(const Network<float>& net) {
  std::printf("%-4s %-22s %-12s %-12s %s\n", "#", "layer", "input", "output", "torch");
  for (size_t i = 0; i < net.num_layers(); ++i) {
    const Layer<float>& l = net.layer(i);
    std::printf("%-4zu %-22s %-12s %-12s %s\n", i, l.spec().c_str(), dims_str(l.in_dims()).c_str(),
                dims_str(l.out_dims()).c_str(), l.torch().c_str());
  }
}

int run(const Opts& o) {
  const bool configured = !o.preset.empty() || !o.arch.empty();
  if (!configured) {
    if (o.json) {
      std::printf("%s\n", nlohmann::json{{"layers", table_json()}}.dump().c_str());
    } else {
      print_table();
    }
    return 0;
  }
  const NetSpec spec = resolve_net(o.preset, o.arch, o.input);
  const Network<float> net(spec.arch, spec.input);
  if (o.json) {
    nlohmann::json j = network_json(net);
    j["table"] = table_json();
    std::printf("%s\n", j.dump().c_str());
  } else {
    print_network(net);
  }
  return 0;
}

const Register reg{{"layers", "List the layers (with --preset/--arch: a network, layer by layer)",
                    [](CLI::App& sub) {
                      auto o = std::make_shared<Opts>();
                      add_net_flags(sub, o->preset, o->arch, o->input);
                      sub.add_flag("--json", o->json,
                                   "JSON on stdout (arguments, ranges, torch.nn modules)");
                      return [o] { return run(*o); };
                    }}};

}  // namespace
}  // namespace handgrad::cli
