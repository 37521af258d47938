#pragma once
// What a preset brings to `handgrad train` for every flag the user did not
// type. The seed-2d numbers live here and nowhere else: the seed report's
// Part 2 hyperparameters plus the robustness settings chosen by the
// measurements in docs/part2.md.
#include <functional>
#include <optional>
#include <string>

#include "handgrad/train/trainer.h"

namespace handgrad {

struct PresetDefaults {
  std::string data;
  int epochs;
  int batch_size;
  double lr, momentum;
  std::string init;       // torch | he | xavier
  double clip_grad_norm;  // 0 = off
  bool standardize;
  int checkpoint_every;  // epochs
};

// The seed report's Part 2 run exactly (Table 5, PyTorch's default init,
// raw inputs, no clipping): `handgrad train --preset seed-2d --seed-settings`.
PresetDefaults seed_2d_seed_settings();
// The same hyperparameters with He init, standardised inputs and the
// gradient norm clipped at 0.5: the seed-2d default.
PresetDefaults seed_2d_recommended();

// nullopt for presets that keep the trainer's own defaults. Throws
// FieldError("seed_settings") when seed_settings is asked of another preset.
std::optional<PresetDefaults> preset_defaults(const std::string& preset, bool seed_settings);

// Applies the preset's defaults to every setting that was not given
// (given("batch_size") says whether it was; settings are named as
// TrainOptions' fields, the flags without dashes); given values always win.
// `handgrad train` and the lab's JSON settings both go through here, so the
// same settings make the same run. Throws FieldError("seed_settings") for
// seed_settings without the seed-2d preset.
void apply_preset_defaults(TrainOptions& t, const std::function<bool(const char* field)>& given,
                           bool seed_settings);

}  // namespace handgrad
