// The layer table as JSON: what `handgrad layers --json` prints under
// "layers" and the lab serves at /api/layers (one writer for both).
#include <nlohmann/json.hpp>

#include "handgrad/layers/layer.h"

namespace handgrad {

namespace {

// One argument: its default (null: required; default_same_as: the index of
// the argument whose value is the default), its range, whether it is an
// integer.
nlohmann::json arg_json(const ArgDef& a) {
  nlohmann::json j = {{"name", a.name},
                      {"integer", a.integer},
                      {"min", a.min},
                      {"max", a.max},
                      {"min_exclusive", a.min_exclusive},
                      {"max_exclusive", a.max_exclusive},
                      {"help", a.help}};
  j["default"] = a.dflt ? nlohmann::json(*a.dflt) : nlohmann::json(nullptr);
  if (a.same_as >= 0) j["default_same_as"] = a.same_as;
  j["required"] = !a.dflt && a.same_as < 0;
  return j;
}

}  // namespace

std::string layer_table_json() {
  nlohmann::json t = nlohmann::json::array();
  for (const LayerDef* d : layer_table()) {
    nlohmann::json args = nlohmann::json::array();
    for (const ArgDef& a : d->args) args.push_back(arg_json(a));
    t.push_back({{"name", d->name},
                 {"grammar", layer_grammar(*d)},
                 {"category", d->category},
                 {"summary", d->summary},
                 {"args", args},
                 {"torch", d->torch},
                 {"math", d->math}});
  }
  return t.dump();
}

}  // namespace handgrad
