// The architecture-string grammar (see arch.h).
#include "handgrad/layers/arch.h"

#include <cctype>
#include <charconv>
#include <cmath>

#include "handgrad/core/error.h"

namespace handgrad {

namespace {

[[noreturn]] void fail(const std::string& arch, size_t pos, const std::string& what) {
  throw UsageError("architecture '" + arch + "': " + what + " at character " +
                   std::to_string(pos + 1));
}

bool starts_number(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.';
}

// A decimal at arch[i] ("inf" and "nan" are not numbers here), an argument
// of layer `layer`.
double parse_number(const std::string& arch, size_t& i, const std::string& layer) {
  const size_t n = arch.size();
  const std::string expected =
      "layer '" + layer + "': expected a number (an integer or a decimal like 0.01) as argument";
  if (i >= n || !starts_number(arch[i])) fail(arch, i, expected);
  size_t start = i + (arch[i] == '+' ? 1 : 0);
  double v = 0;
  auto [p, ec] = std::from_chars(arch.data() + start, arch.data() + n, v);
  if (ec == std::errc::result_out_of_range) {
    fail(arch, i, "layer '" + layer + "': the number is out of range");
  }
  if (ec != std::errc() || !std::isfinite(v)) fail(arch, i, expected);
  i = static_cast<size_t>(p - arch.data());
  return v;
}

void skip_space(const std::string& arch, size_t& i) {
  while (i < arch.size() && std::isspace(static_cast<unsigned char>(arch[i]))) ++i;
}

// "(a, b, ...)" of layer `layer`, starting at arch[i] == '('.
std::vector<double> parse_args(const std::string& arch, size_t& i, const std::string& layer) {
  std::vector<double> args;
  const size_t n = arch.size();
  ++i;
  for (;;) {
    skip_space(arch, i);
    if (i >= n) fail(arch, i, "layer '" + layer + "': missing ')'");
    if (arch[i] == ')' && args.empty()) {
      ++i;
      return args;
    }
    args.push_back(parse_number(arch, i, layer));
    skip_space(arch, i);
    if (i >= n) fail(arch, i, "layer '" + layer + "': missing ')'");
    if (arch[i] == ',') {
      ++i;
      continue;
    }
    if (arch[i] == ')') {
      ++i;
      return args;
    }
    fail(arch, i, "layer '" + layer + "': unexpected '" + arch[i] + "' in arguments");
  }
}

}  // namespace

std::vector<LayerSpec> parse_arch(const std::string& arch) {
  std::vector<LayerSpec> out;
  size_t i = 0;
  const size_t n = arch.size();
  skip_space(arch, i);
  while (i < n) {
    const size_t start = i;
    LayerSpec spec;
    while (i < n && (std::isalnum(static_cast<unsigned char>(arch[i])) || arch[i] == '_')) {
      spec.name += static_cast<char>(std::tolower(static_cast<unsigned char>(arch[i])));
      ++i;
    }
    if (spec.name.empty()) fail(arch, i, std::string("unexpected '") + arch[i] + "'");
    skip_space(arch, i);
    if (i < n && arch[i] == '(') spec.args = parse_args(arch, i, spec.name);
    spec.text = arch.substr(start, i - start);
    out.push_back(std::move(spec));
    skip_space(arch, i);
    if (i < n && !std::isalpha(static_cast<unsigned char>(arch[i]))) {
      fail(arch, i, std::string("unexpected '") + arch[i] + "'");
    }
  }
  if (out.empty()) throw UsageError("architecture is empty: give at least one layer");
  return out;
}

}  // namespace handgrad
