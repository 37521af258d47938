#include "handgrad/train/preset_defaults.h"

#include "handgrad/core/error.h"

namespace handgrad {

PresetDefaults seed_2d_seed_settings() {
  // Table 5: 100 epochs, batch 16, lr 0.1, momentum 0.9.
  // Checkpoints every 10 of its 100 tiny epochs (each checkpoint fsyncs).
  return {"moons", 100, 16, 0.1, 0.9, "torch", 0.0, false, 10};
}

PresetDefaults seed_2d_recommended() {
  // Measured over seeds 0..29 (docs/part2.md): with the seed's settings
  // moons and circles end at chance for several seeds. Standardised inputs
  // and He init with the gradient norm clipped at 1.0 still lost a circles
  // seed (its last 8-unit layer died within 10 steps: momentum 0.9 makes a
  // step up to 10x the clipped gradient). At 0.5 no seed in 0..29 ended
  // at chance on moons, circles or xor (spirals: 2 of 30).
  PresetDefaults d = seed_2d_seed_settings();
  d.init = "he";
  d.clip_grad_norm = 0.5;
  d.standardize = true;
  return d;
}

std::optional<PresetDefaults> preset_defaults(const std::string& preset, bool seed_settings) {
  if (preset == "seed-2d") return seed_settings ? seed_2d_seed_settings() : seed_2d_recommended();
  if (seed_settings) {
    throw FieldError("seed_settings",
                     "only for --preset seed-2d (the other presets already default to the "
                     "seed's settings)");
  }
  return std::nullopt;
}

}  // namespace handgrad
