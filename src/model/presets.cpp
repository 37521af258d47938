// The seed's three networks and the one place that turns --preset /
// --arch / --input into a network.
#include "handgrad/model/presets.h"

#include "handgrad/core/error.h"

namespace handgrad {

const std::vector<Preset>& presets() {
  static const std::vector<Preset> p = {
      {"seed-cnn",
       "conv(4,5) relu maxpool(2) conv(8,5) relu maxpool(2) flatten linear(128) relu linear(10)",
       {1, 28, 28},
       "the seed report's Part 1 CNN for MNIST"},
      {"seed-mlp", "flatten linear(128) relu linear(10)", {1, 28, 28},
       "the seed report's fully connected 'lightweight' MNIST net"},
      {"seed-2d",
       "linear(8) relu linear(16) relu linear(32) relu linear(16) relu linear(8) relu linear(2)",
       {2},
       "the seed report's Part 2 MLP for 2-D points"},
  };
  return p;
}

const Preset& find_preset(const std::string& name) {
  std::string known;
  for (const auto& p : presets()) {
    if (p.name == name) return p;
    known += (known.empty() ? "" : ", ") + p.name;
  }
  throw FieldError("preset", "unknown preset '" + name + "' (known: " + known + ")");
}

NetSpec resolve_net(const std::string& preset, const std::string& arch, const std::string& input,
                    const Dims* data_input) {
  if (!preset.empty() && !arch.empty()) throw FieldError("arch", "give a preset or an architecture, not both");
  if (!arch.empty()) {
    if (!input.empty()) return {arch, parse_dims(input), "custom"};
    if (data_input) return {arch, *data_input, "custom"};
    throw FieldError("input", "an architecture string needs its input shape, e.g. 1x28x28");
  }
  const Preset& p = find_preset(preset.empty() ? "seed-cnn" : preset);
  return {p.arch, input.empty() ? p.input : parse_dims(input), p.name};
}

}  // namespace handgrad
