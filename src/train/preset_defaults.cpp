#include "handgrad/preset_defaults.h"

#include "handgrad/error.h"

namespace handgrad {

PresetDefaults seed_2d_seed_settings() {
  // Table 5: 100 epochs, batch 16, lr 0.1, momentum 0.9.
  return {"moons", 100, 16, 0.1, 0.9, "torch", 0.0, false};
}

PresetDefaults seed_2d_recommended() {
  // Measured over 10 seeds (docs/part2.md): with the seed's settings moons
  // and circles end at chance for several seeds; standardised inputs, He
  // init and clipping at 1.0 together bring every seed above 0.93 on both.
  PresetDefaults d = seed_2d_seed_settings();
  d.init = "he";
  d.clip_grad_norm = 1.0;
  d.standardize = true;
  return d;
}

std::optional<PresetDefaults> preset_defaults(const std::string& preset, bool seed_settings) {
  if (preset == "seed-2d") return seed_settings ? seed_2d_seed_settings() : seed_2d_recommended();
  if (seed_settings) {
    throw UsageError("--seed-settings: only for --preset seed-2d (the other presets already "
                     "default to the seed's settings)");
  }
  return std::nullopt;
}

}  // namespace handgrad
