// THE place the lab learns which layers exist. Until the layer table of
// DESIGN.md lands this lists the layers make_layer() knows; then it becomes
// one loop over layer_table() (name, category, summary, args), and every new
// activation appears in the page's dropdown with no other change.
#include "lab_layers.h"

#include "handgrad/model/presets.h"
#include "handgrad/data/generators.h"

namespace handgrad::lab {

using nlohmann::json;

json layer_list() {
  const auto arg = [](const char* name, bool required) {
    return json{{"name", name}, {"integer", true}, {"required", required}};
  };
  json layers = json::array({
      {{"name", "conv"},
       {"category", "conv"},
       {"summary", "2-D convolution (out, kernel[, stride[, pad]])"},
       {"args",
        {arg("out_channels", true), arg("kernel", true), arg("stride", false),
         arg("padding", false)}}},
      {{"name", "maxpool"},
       {"category", "pooling"},
       {"summary", "max pooling (kernel[, stride])"},
       {"args", {arg("kernel", true), arg("stride", false)}}},
      {{"name", "flatten"},
       {"category", "shape"},
       {"summary", "(C, H, W) -> (C*H*W)"},
       {"args", json::array()}},
      {{"name", "linear"},
       {"category", "dense"},
       {"summary", "fully connected (out_features)"},
       {"args", {arg("out_features", true)}}},
      {{"name", "relu"},
       {"category", "activation"},
       {"summary", "max(0, x)"},
       {"args", json::array()}},
      {{"name", "identity"},
       {"category", "activation"},
       {"summary", "x (a linear activation)"},
       {"args", json::array()}},
  });
  json presets = json::array();
  for (const Preset& p : handgrad::presets()) {
    presets.push_back(
        {{"name", p.name}, {"arch", p.arch}, {"input", p.input}, {"description", p.description}});
  }
  json gens = json::array();
  for (const std::string& g : generator_names()) gens.push_back(g);
  return {{"layers", layers},
          {"presets", presets},
          {"optimizers", json::array({"sgd"})},
          {"inits", json::array({"torch", "he", "xavier"})},
          {"generators", gens},
          {"image_data", json::array({"mnist", "fashion-mnist"})}};
}

}  // namespace handgrad::lab
