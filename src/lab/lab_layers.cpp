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

namespace {

// One argument: its default (null: required; default_same_as: the index of
// the argument whose value is the default), its range, whether it is an
// integer. The same fields as `handgrad layers --json` (a test compares).
json arg_json(const ArgDef& a) {
  json j = {{"name", a.name},
            {"integer", a.integer},
            {"min", a.min},
            {"max", a.max},
            {"min_exclusive", a.min_exclusive},
            {"max_exclusive", a.max_exclusive},
            {"help", a.help}};
  j["default"] = a.dflt ? json(*a.dflt) : json(nullptr);
  if (a.same_as >= 0) j["default_same_as"] = a.same_as;
  j["required"] = !a.dflt && a.same_as < 0;
  return j;
}

}  // namespace

json layer_list() {
  json layers = json::array();
  for (const LayerDef* d : layer_table()) {
    json args = json::array();
    for (const ArgDef& a : d->args) args.push_back(arg_json(a));
    layers.push_back({{"name", d->name},
                      {"grammar", layer_grammar(*d)},
                      {"category", d->category},
                      {"summary", d->summary},
                      {"args", args},
                      {"torch", d->torch},
                      {"math", d->math}});
  }
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
