#pragma once
// The layer rows: every test that checks "each layer" reads them, so a new
// layer adds its rows here and is gradient-checked (test_layers.cpp), run on
// every fast kernel path against its reference (test_fast_kernels.cpp) and
// trained beside PyTorch from the same weights (test_parity.cpp). A test
// fails for any layer of the table without a row.
#include <ostream>
#include <string>
#include <vector>

#include "handgrad/core/tensor.h"

namespace handgrad::test {

struct LayerCase {
  std::string name;
  std::vector<double> args;
  Dims in;
  bool fast = true;  // the fast plan must lower it (no reference pass)

  // The row's layer in a network that needs its input gradient too: a
  // shape-keeping layer with parameters before it (a 1x1 convolution or a
  // square linear), then flatten and linear(3) for logits.
  std::string network() const {
    const std::string before = in.size() == 3 ? "conv(" + std::to_string(in[0]) + ",1)"
                                              : "linear(" + std::to_string(in[0]) + ")";
    return before + " " + token() + " flatten linear(3)";
  }

  // "conv(4,5)"
  std::string token() const {
    if (args.empty()) return name;
    std::string s = name + "(";
    for (size_t i = 0; i < args.size(); ++i) {
      std::string a = std::to_string(args[i]);
      a.erase(a.find_last_not_of('0') + 1);
      if (a.back() == '.') a.pop_back();
      s += (i ? "," : "") + a;
    }
    return s + ")";
  }
};

// gtest prints a failing row as its network.
inline void PrintTo(const LayerCase& c, std::ostream* os) { *os << c.network() << " on " << dims_str(c.in); }

inline const std::vector<LayerCase>& layer_cases() {
  static const std::vector<LayerCase> c = {
      {"conv", {4, 5}, {1, 12, 12}},
      {"conv", {3, 3}, {2, 7, 9}},
      {"conv", {2, 3, 2}, {3, 9, 8}, false},  // stride 2: the reference pass
      {"conv", {2, 3, 1, 1}, {2, 5, 5}},
      {"conv", {5, 7, 2, 3}, {1, 9, 9}, false},
      {"relu", {}, {3, 4, 5}},
      {"maxpool", {2}, {2, 8, 8}},
      {"maxpool", {3, 2}, {2, 7, 9}},
      {"maxpool", {2}, {1, 5, 7}},
      {"flatten", {}, {2, 3, 3}},
      {"linear", {7}, {13}},
      {"linear", {1}, {1}},
      {"identity", {}, {6}},
      {"tanh", {}, {3, 4, 5}},
      {"sigmoid", {}, {3, 4, 5}},
      {"leaky_relu", {}, {3, 4, 5}},
      {"leaky_relu", {0.2}, {7}},
      {"elu", {}, {3, 4, 5}},
      {"elu", {0.5}, {7}},
      {"gelu", {}, {3, 4, 5}},
      {"avgpool", {2}, {2, 8, 8}},     // non-overlapping
      {"avgpool", {3, 2}, {2, 7, 9}},  // overlapping, an uncovered border
      {"avgpool", {2, 1}, {1, 5, 6}},
      {"gap", {}, {3, 5, 4}},
      {"batchnorm", {}, {3, 5, 4}},  // BatchNorm2d
      {"batchnorm", {}, {6}},        // BatchNorm1d
      {"dropout", {}, {3, 4, 5}},
      {"dropout", {0.2}, {11}},
  };
  return c;
}

}  // namespace handgrad::test
