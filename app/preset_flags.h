#pragma once
// Applies a preset's defaults (preset_defaults.h) to the train flags the
// user did not type; typed flags always win.
#include <CLI/CLI.hpp>

#include "handgrad/train/preset_defaults.h"

namespace handgrad::cli {

inline void apply_preset_defaults(TrainOptions& t, const CLI::App& sub, bool seed_settings) {
  handgrad::apply_preset_defaults(
      t, [&](const char* flag) { return sub.count(flag) > 0; }, seed_settings);
}

}  // namespace handgrad::cli
