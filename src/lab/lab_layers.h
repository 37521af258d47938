#pragma once
// What the page may offer in its network editor: the layers (with their
// category, so the activation dropdown lists the activations), the presets,
// the optimizers, the init schemes and the data sets.
#include <nlohmann/json.hpp>

namespace handgrad::lab {

// {"layers": [...], "presets": [...], "optimizers": [...], "inits": [...],
//  "generators": [...], "image_data": [...]}; "layers" is the layer table
// as `handgrad layers --json` prints it (name, grammar, category, summary,
// args with defaults and ranges, torch, math).
nlohmann::json layer_list();

}  // namespace handgrad::lab
