#pragma once
// The presets (the seed's networks) and the network a command's flags name.
// Code: src/model/presets.cpp.
#include <string>
#include <vector>

#include "handgrad/core/tensor.h"

namespace handgrad {

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
  std::string label;  // the preset's name, or "custom" for --arch
};
// data_input: the data's sample shape, which --arch uses when --input is not
// given (training knows its data; the other commands do not).
NetSpec resolve_net(const std::string& preset, const std::string& arch, const std::string& input,
                    const Dims* data_input = nullptr);

}  // namespace handgrad
