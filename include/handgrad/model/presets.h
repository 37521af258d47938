#pragma once
// Architecture strings: "conv(4,5) relu maxpool(2) flatten linear(10)".
#include <string>
#include <vector>

#include "handgrad/core/tensor.h"

namespace handgrad {

struct LayerSpec {
  std::string name;       // "conv"
  std::vector<int> args;  // {4, 5}
  std::string text;       // "conv(4,5)" as written
};

// Splits an architecture string into layer specs. Throws UsageError naming
// the position for unbalanced parentheses, non-integer arguments, stray
// characters, or an empty string.
std::vector<LayerSpec> parse_arch(const std::string& arch);

struct Preset {
  std::string name, arch;
  Dims input;
  std::string description;
};
// The seed's three networks: seed-cnn, seed-mlp, seed-2d.
const std::vector<Preset>& presets();
// Throws UsageError listing the known presets.
const Preset& find_preset(const std::string& name);

// The network a command's --preset / --arch / --input flags name: --arch
// needs --input; otherwise the preset (default seed-cnn) with its input
// unless --input overrides it. Throws UsageError for both or neither fitting.
struct NetSpec {
  std::string arch;
  Dims input;
};
NetSpec resolve_net(const std::string& preset, const std::string& arch, const std::string& input);

}  // namespace handgrad
