#pragma once
// A run's settings as JSON (the CLI's flag names without the dashes, '_'
// for '-': {"preset": "seed-2d", "data": "moons", "lr": 0.03, ...}) turned
// into the TrainOptions `handgrad train` builds from its flags, through the
// same preset defaults; and back into the equivalent command line.
//
// The browser names no file: data is a dataset name (mnist, fashion-mnist,
// a generator) or "points" given inline; data_dir, test_data, out, resume,
// batch_order and an --init file are refused.
#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "handgrad/train/trainer.h"

namespace handgrad::lab {

struct Caps {
  int max_points = 20000;       // generated or inline 2-D points
  long max_params = 5'000'000;  // parameters of one network
  int max_layers = 64;
  int max_batch = 4096;
  int max_threads = 4;           // training threads of one run
  long max_steps = 100'000'000;  // steps of one run
};

using Point = std::array<float, 3>;  // x1, x2, label

struct RunSettings {
  TrainOptions options;  // out_dir and, for inline points, the CSV paths are the caller's
  std::vector<Point> train_points, test_points;  // inline 2-D data ("points"); else empty
  bool play = false;                             // start training at once
  double pace = 0;                               // steps per second while playing (0: no limit)
  bool image_data = false;                       // mnist / fashion-mnist (memory-heavy)
  Dims input;                                    // the network's input shape
  long num_params = 0;
};

struct SettingsContext {
  std::string data_root;  // the lab's --data-dir: DIR/mnist, DIR/fashion-mnist
  Caps caps;
};

// Throws ApiError(400, ..., field) naming the field for anything unknown,
// mistyped, out of range or over a cap; ApiError(404) for a missing dataset
// (with the fetch command in the message).
RunSettings parse_run_settings(const nlohmann::json& j, const SettingsContext& ctx);

// `handgrad train` with every setting that makes the model spelled out (so
// no preset default can differ), ending in --out OUT. Arguments are quoted
// for a POSIX shell; numbers round-trip exactly.
std::string train_command(const TrainOptions& o, const std::string& out);

// The same as argv words (no quoting), without the leading "handgrad".
std::vector<std::string> train_args(const TrainOptions& o, const std::string& out);

}  // namespace handgrad::lab
