#pragma once
// Applies a preset's defaults (preset_defaults.h) to the train flags the
// user did not type; typed flags always win.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <string>

#include "handgrad/train/preset_defaults.h"

namespace handgrad::cli {

// A setting counts as given when its flag was typed ("batch_size": --batch-size;
// "standardize": --standardize or --no-standardize).
inline void apply_preset_defaults(TrainOptions& t, const CLI::App& sub, bool seed_settings) {
  const auto typed = [&](const char* field) {
    std::string flag = std::string("--") + field;
    std::replace(flag.begin(), flag.end(), '_', '-');
    if (flag == "--standardize" && sub.count("--no-standardize") > 0) return true;
    return sub.count(flag) > 0;
  };
  handgrad::apply_preset_defaults(t, typed, seed_settings);
}

}  // namespace handgrad::cli
