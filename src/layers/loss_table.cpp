// The loss table: every --loss kind, its PyTorch equivalent and its docs
// anchor; the plan, the evaluation and the session ask it.
#include <cmath>

#include "handgrad/core/error.h"
#include "handgrad/layers/loss.h"

namespace handgrad {

namespace {

double ce_chance(int k) {
  return std::log(static_cast<double>(k));
}
double mse_chance(int k) {
  return static_cast<double>(k - 1) / (static_cast<double>(k) * k);
}

}  // namespace

// Function-local statics: usable from any static initialiser.
const std::vector<const LossDef*>& loss_table() {
  static const LossDef ce{"ce",
                          "cross-entropy",
                          "F.cross_entropy(out, y)",
                          "cross-entropy",
                          "guessing uniformly (log K)",
                          &softmax_cross_entropy<float>,
                          &softmax_cross_entropy<double>,
                          &ce_chance};
  static const LossDef mse{"mse",
                           "mean squared error",
                           "F.mse_loss(out, F.one_hot(y, K).float())",
                           "mse",
                           "outputting 1/K for every class ((K - 1) / K^2)",
                           &mse_one_hot<float>,
                           &mse_one_hot<double>,
                           &mse_chance};
  static const std::vector<const LossDef*> t{&ce, &mse};
  return t;
}

const LossDef& cross_entropy_loss() {
  return *loss_table().front();
}

const LossDef& find_loss(const std::string& name) {
  std::string names;
  const auto& t = loss_table();
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i]->name == name) return *t[i];
    names += (i == 0 ? "" : i + 1 == t.size() ? " or " : ", ") + t[i]->name;
  }
  throw FieldError("loss", "'" + name + "' is not " + names);
}

}  // namespace handgrad
