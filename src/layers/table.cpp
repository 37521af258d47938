// The layer table (filled from the HANDGRAD_LAYER lines CMake finds in
// src/layers/*.cpp), and what every layer shares: arguments, canonical
// specs, shapes.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "handgrad/core/error.h"
#include "handgrad/layers/layer.h"
#include "layers/op.h"

namespace handgrad {

namespace layer_defs {
#define HANDGRAD_LISTED_LAYER(token) const LayerDef& token();
#include "layer_list.inc"
#undef HANDGRAD_LISTED_LAYER
}  // namespace layer_defs

const std::vector<const LayerDef*>& layer_table() {
  static const std::vector<const LayerDef*> table = [] {
    std::vector<const LayerDef*> t = {
#define HANDGRAD_LISTED_LAYER(token) &layer_defs::token(),
#include "layer_list.inc"
#undef HANDGRAD_LISTED_LAYER
    };
    std::sort(t.begin(), t.end(), [](auto* a, auto* b) { return a->name < b->name; });
    return t;
  }();
  return table;
}

const LayerDef* find_layer(const std::string& name) {
  for (const LayerDef* d : layer_table()) {
    if (d->name == name) return d;
  }
  return nullptr;
}

namespace {

std::string number(double v) {
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.9g", v);
  }
  return buf;
}

std::string usage_args(const LayerDef& d);

}  // namespace

std::string python_float(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  std::string s = buf;
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

std::string layer_grammar(const LayerDef& d) {
  return d.args.empty() ? d.name : d.name + usage_args(d);
}

namespace {

std::string usage_args(const LayerDef& d) {
  std::string s = "(";
  size_t optional = 0;
  for (size_t i = 0; i < d.args.size(); ++i) {
    const bool opt = d.args[i].dflt || d.args[i].same_as >= 0;
    if (opt) {
      s += "[";
      ++optional;
    }
    s += (i ? ", " : "") + d.args[i].name;
  }
  return s + std::string(optional, ']') + ")";
}

// Checks one given argument against its definition.
void check_arg(const LayerDef& d, const ArgDef& a, double v) {
  const std::string what = "layer '" + d.name + "': " + a.name + " ";
  if (!std::isfinite(v)) throw UsageError(what + "must be a finite number");
  const bool big = a.max_exclusive ? v >= a.max : v > a.max;
  if (a.integer && big) {
    throw UsageError(what + number(v) + " is too large (an integer up to " + number(a.max) + ")");
  }
  if (a.integer && v != std::floor(v)) {
    throw UsageError(what + "must be an integer, got " + number(v));
  }
  const bool small = a.min_exclusive ? v <= a.min : v < a.min;
  if (small) {
    const std::string bound = a.min == 1 && a.integer && !a.min_exclusive ? "positive"
                              : a.min == 0 && a.min_exclusive          ? "positive"
                              : (a.min_exclusive ? "> " : ">= ") + number(a.min);
    throw UsageError(what + "must be " + bound + ", got " + number(v));
  }
  if (big) {
    throw UsageError(what + "must be " + (a.max_exclusive ? "< " : "<= ") + number(a.max) +
                     ", got " + number(v));
  }
}

std::string known_layers() {
  std::string s;
  for (const LayerDef* d : layer_table()) s += (s.empty() ? "" : ", ") + d->name;
  return s;
}

}  // namespace

template <class T>
std::unique_ptr<Layer<T>> make_layer(const std::string& name, const std::vector<double>& given) {
  const LayerDef* d = find_layer(name);
  if (!d) throw UsageError("unknown layer '" + name + "' (known: " + known_layers() + ")");
  size_t required = 0;
  for (const ArgDef& a : d->args) required += !a.dflt && a.same_as < 0;
  if (given.size() < required || given.size() > d->args.size()) {
    throw UsageError("layer '" + name + "' takes " + usage_args(*d) + ", got " +
                     std::to_string(given.size()) + " argument(s)");
  }
  std::vector<double> args = given;
  for (size_t i = given.size(); i < d->args.size(); ++i) {
    const ArgDef& a = d->args[i];
    args.push_back(a.same_as >= 0 ? args[static_cast<size_t>(a.same_as)] : *a.dflt);
  }
  for (size_t i = 0; i < args.size(); ++i) check_arg(*d, d->args[i], args[i]);
  if constexpr (std::is_same_v<T, float>) {
    return d->make_float(args);
  } else {
    return d->make_double(args);
  }
}

template std::unique_ptr<Layer<float>> make_layer(const std::string&, const std::vector<double>&);
template std::unique_ptr<Layer<double>> make_layer(const std::string&, const std::vector<double>&);

template <class T>
std::string Layer<T>::spec() const {
  // Arguments are written up to the last one that differs from its default.
  size_t keep = args_.size();
  while (keep > 0) {
    const ArgDef& a = def_->args[keep - 1];
    const double dflt = a.same_as >= 0 ? args_[static_cast<size_t>(a.same_as)]
                        : a.dflt       ? *a.dflt
                                       : std::nan("");
    if (args_[keep - 1] != dflt) break;
    --keep;
  }
  if (keep == 0) return def_->name;
  std::string s = def_->name + "(";
  for (size_t i = 0; i < keep; ++i) s += (i ? "," : "") + number(args_[i]);
  return s + ")";
}

template <class T>
Dims Layer<T>::configure(const Dims& in) {
  out_ = shape(in);
  in_ = in;
  return out_;
}

template <class T>
std::unique_ptr<Op<T>> Layer<T>::lower(const KernelTable&) const {
  return nullptr;
}

template class Layer<float>;
template class Layer<double>;

Init parse_init(const std::string& s) {
  if (s == "torch") return Init::torch;
  if (s == "he") return Init::he;
  if (s == "xavier") return Init::xavier;
  throw FieldError("init", "'" + s + "' is not one of torch, he, xavier");
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
