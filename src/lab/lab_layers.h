#pragma once
// What the page may offer in its network editor: the layers (with their
// category, so the activation dropdown lists the activations), the presets,
// the optimizers, the init schemes and the data sets.
#include <nlohmann/json.hpp>

namespace handgrad::lab {

// {"layers": [{"name", "category", "summary", "args": [{"name", "integer",
//  "required", "default", "min", "max", ...}], "torch", "math"}...] (the
//  layer table), "presets": [...], "optimizers": [...], "inits": [...],
//  "generators": [...], "image_data": [...]}
nlohmann::json layer_list();

}  // namespace handgrad::lab
