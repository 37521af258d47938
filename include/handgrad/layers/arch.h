#pragma once
// Architecture strings: "conv(4,5) relu maxpool(2) flatten linear(10)".
// Code: src/layers/arch.cpp. Which names and arguments are valid is the
// layer table's business (layer.h); this is only the grammar:
//   arch  := layer (space* layer)*
//   layer := name [ "(" [ number ("," number)* ] ")" ]
//   name  := [A-Za-z0-9_]+ (case-insensitive), number := a decimal, e.g. 4, 0.01, 1e-3
#include <string>
#include <vector>

namespace handgrad {

struct LayerSpec {
  std::string name;          // "conv"
  std::vector<double> args;  // {4, 5}
  std::string text;          // "conv(4,5)" as written
};

// Throws UsageError naming the position for unbalanced parentheses, a
// malformed number, stray characters, or an empty string.
std::vector<LayerSpec> parse_arch(const std::string& arch);

}  // namespace handgrad
