#pragma once
// Applies a preset's defaults (preset_defaults.h) to the train flags the
// user did not type; typed flags always win.
#include <CLI/CLI.hpp>

#include "handgrad/core/error.h"
#include "handgrad/train/preset_defaults.h"
#include "handgrad/train/trainer.h"

namespace handgrad::cli {

inline void apply_preset_defaults(TrainOptions& t, const CLI::App& sub, bool seed_settings) {
  if (!t.arch.empty()) {
    if (seed_settings) throw UsageError("--seed-settings: only with --preset seed-2d, not --arch");
    return;
  }
  const auto d = preset_defaults(t.preset, seed_settings);
  if (!d) return;
  const auto unset = [&](const char* flag) { return sub.count(flag) == 0; };
  if (unset("--data")) t.data.data = d->data;
  if (unset("--epochs") && unset("--iterations")) t.epochs = d->epochs;
  if (unset("--batch-size")) t.batch_size = d->batch_size;
  if (unset("--lr")) t.sgd.lr = d->lr;
  if (unset("--momentum")) t.sgd.momentum = d->momentum;
  if (unset("--init")) t.init = d->init;
  if (unset("--clip-grad-norm")) t.clip_grad_norm = d->clip_grad_norm;
  if (unset("--standardize") && unset("--no-standardize")) t.standardize = d->standardize;
  if (unset("--checkpoint-every")) t.checkpoint_every = d->checkpoint_every;
}

}  // namespace handgrad::cli
