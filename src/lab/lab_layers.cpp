// THE place the lab learns which layers exist: one loop over the layer table
// (layers/layer.h), so every layer added to the table appears in the page's
// editor, and every activation in its dropdown, with no change here.
#include "lab_layers.h"

#include "handgrad/data/generators.h"
#include "handgrad/layers/layer.h"
#include "handgrad/model/presets.h"
#include "handgrad/optim/optimizer.h"

namespace handgrad::lab {

using nlohmann::json;

json layer_list() {
  const json layers = json::parse(layer_table_json());  // as `handgrad layers --json`
  json presets = json::array();
  for (const Preset& p : handgrad::presets()) {
    presets.push_back(
        {{"name", p.name}, {"arch", p.arch}, {"input", p.input}, {"description", p.description}});
  }
  json gens = json::array();
  for (const std::string& g : generator_names()) gens.push_back(g);
  json optimizers = json::array();
  for (const OptimizerDef* d : optimizer_table()) optimizers.push_back(d->name);
  json inits = json::array();
  for (Init i : {Init::torch, Init::he, Init::xavier}) inits.push_back(init_name(i));
  return {{"layers", layers},         {"presets", presets},
          {"optimizers", optimizers}, {"inits", inits},
          {"generators", gens},       {"image_data", json::array({"mnist", "fashion-mnist"})}};
}

}  // namespace handgrad::lab
