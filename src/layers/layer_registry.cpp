// Maps the names of the architecture string to layer classes.
#include "handgrad/core/error.h"
#include "layers/layers.h"

namespace handgrad {

namespace {
void expect_args(const std::string& name, const std::vector<int>& args, size_t lo, size_t hi,
                 const char* usage) {
  if (args.size() < lo || args.size() > hi) {
    throw UsageError("layer '" + name + "' takes " + usage + ", got " +
                     std::to_string(args.size()) + " argument(s)");
  }
  for (int a : args) {
    if (a < 0 || (a == 0 && name != "conv")) {
      throw UsageError("layer '" + name + "': arguments must be positive, got " +
                       std::to_string(a));
    }
  }
}
}  // namespace

template <class T>
std::unique_ptr<Layer<T>> make_layer(const std::string& name, const std::vector<int>& args) {
  auto at = [&](size_t i, int dflt) { return i < args.size() ? args[i] : dflt; };
  if (name == "conv") {
    expect_args(name, args, 2, 4, "(out_channels, kernel[, stride[, padding]])");
    if (args[0] == 0 || args[1] == 0 || at(2, 1) == 0) {
      throw UsageError("layer 'conv': out_channels, kernel and stride must be positive");
    }
    return std::make_unique<Conv2d<T>>(args[0], args[1], at(2, 1), at(3, 0));
  }
  if (name == "maxpool") {
    expect_args(name, args, 1, 2, "(kernel[, stride])");
    return std::make_unique<MaxPool2d<T>>(args[0], at(1, args[0]));
  }
  if (name == "linear") {
    expect_args(name, args, 1, 1, "(out_features)");
    return std::make_unique<Linear<T>>(args[0]);
  }
  if (name == "relu" || name == "flatten" || name == "identity") {
    expect_args(name, args, 0, 0, "no arguments");
    if (name == "relu") return std::make_unique<ReLU<T>>();
    if (name == "flatten") return std::make_unique<Flatten<T>>();
    return std::make_unique<Identity<T>>();
  }
  throw UsageError("unknown layer '" + name +
                   "' (known: conv, relu, maxpool, flatten, linear, identity)");
}

template std::unique_ptr<Layer<float>> make_layer(const std::string&, const std::vector<int>&);
template std::unique_ptr<Layer<double>> make_layer(const std::string&, const std::vector<int>&);

Init parse_init(const std::string& s) {
  if (s == "torch") return Init::torch;
  if (s == "he") return Init::he;
  if (s == "xavier") return Init::xavier;
  throw UsageError("--init: '" + s + "' is not one of torch, he, xavier");
}

const char* init_name(Init i) {
  switch (i) {
    case Init::torch: return "torch";
    case Init::he: return "he";
    case Init::xavier: return "xavier";
  }
  return "?";
}

}  // namespace handgrad
