#include "handgrad/model/presets.h"

#include <cctype>
#include <charconv>

#include "handgrad/core/error.h"

namespace handgrad {

namespace {
[[noreturn]] void fail(const std::string& arch, size_t pos, const std::string& what) {
  throw UsageError("architecture '" + arch + "': " + what + " at character " +
                   std::to_string(pos + 1));
}
}  // namespace

std::vector<LayerSpec> parse_arch(const std::string& arch) {
  std::vector<LayerSpec> out;
  size_t i = 0;
  const size_t n = arch.size();
  auto skip_space = [&] {
    while (i < n && std::isspace(static_cast<unsigned char>(arch[i]))) ++i;
  };
  skip_space();
  while (i < n) {
    const size_t start = i;
    LayerSpec spec;
    while (i < n && (std::isalnum(static_cast<unsigned char>(arch[i])) || arch[i] == '_')) {
      spec.name += static_cast<char>(std::tolower(static_cast<unsigned char>(arch[i])));
      ++i;
    }
    if (spec.name.empty()) fail(arch, i, std::string("unexpected '") + arch[i] + "'");
    skip_space();
    if (i < n && arch[i] == '(') {
      ++i;
      for (;;) {
        skip_space();
        if (i >= n) fail(arch, i, "missing ')'");
        if (arch[i] == ')' && spec.args.empty()) {
          ++i;
          break;
        }
        int v = 0;
        auto [p, ec] = std::from_chars(arch.data() + i, arch.data() + n, v);
        if (ec != std::errc()) fail(arch, i, "expected an integer argument");
        i = static_cast<size_t>(p - arch.data());
        spec.args.push_back(v);
        skip_space();
        if (i >= n) fail(arch, i, "missing ')'");
        if (arch[i] == ',') {
          ++i;
          continue;
        }
        if (arch[i] == ')') {
          ++i;
          break;
        }
        fail(arch, i, std::string("unexpected '") + arch[i] + "' in arguments");
      }
    }
    spec.text = arch.substr(start, i - start);
    out.push_back(std::move(spec));
    skip_space();
    if (i < n && !std::isalpha(static_cast<unsigned char>(arch[i]))) {
      fail(arch, i, std::string("unexpected '") + arch[i] + "'");
    }
  }
  if (out.empty()) throw UsageError("architecture is empty: give at least one layer");
  return out;
}

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
  throw UsageError("--preset: unknown preset '" + name + "' (known: " + known + ")");
}

NetSpec resolve_net(const std::string& preset, const std::string& arch, const std::string& input) {
  if (!preset.empty() && !arch.empty()) throw UsageError("give --preset or --arch, not both");
  if (!arch.empty()) {
    if (input.empty()) throw UsageError("--arch needs --input, e.g. --input 1x28x28");
    return {arch, parse_dims(input, "--input")};
  }
  const Preset& p = find_preset(preset.empty() ? "seed-cnn" : preset);
  return {p.arch, input.empty() ? p.input : parse_dims(input, "--input")};
}

}  // namespace handgrad
