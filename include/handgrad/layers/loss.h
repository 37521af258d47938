#pragma once
// The losses: one table of kinds (--loss ce|mse), each the batch *mean* as
// PyTorch's functional loss with reduction='mean'. The plan asks the loss it
// is given for the value and dL/d(outputs); nothing else names a loss.
// Derivations: docs/math.md#losses. Code: src/layers/loss.cpp (cross-entropy),
// src/layers/mse_loss.cpp, src/layers/loss_table.cpp.
#include <string>
#include <vector>

namespace handgrad {

// logits: (n, k), labels: (n) in [0, k).
// Returns the *sum* over these n samples of -log softmax(logits)[label],
// computed with log-sum-exp so large logits do not overflow.
// If dlogits is not null it is assigned (softmax - onehot) / batch_total,
// the gradient of the batch *mean*; batch_total is the size of the whole
// batch when these n samples are one thread's share of it.
// Throws Error if a label is outside [0, k).
template <class T>
double softmax_cross_entropy(const T* logits, const int* labels, int n, int k, T* dlogits,
                             int batch_total);

// out: (n, k), labels: (n) in [0, k). F.mse_loss(out, one_hot(labels, k)):
// returns the sum over these n samples of sum_j (out_j - y_j)^2 / k; if dout
// is not null it is assigned 2 (out - onehot) / (batch_total * k), the
// gradient of the mean over all batch_total * k elements.
template <class T>
double mse_one_hot(const T* out, const int* labels, int n, int k, T* dout, int batch_total);

// probs: (n, k) assigned softmax(logits).
template <class T>
void softmax(const T* logits, int n, int k, T* probs);

struct LossDef {
  std::string name;         // --loss token: "ce"
  std::string title;        // "cross-entropy": the pictures' axis, the messages
  std::string torch;        // "F.cross_entropy(out, y)"
  std::string math;         // docs/math.md anchor
  std::string chance_what;  // what the chance() value is the loss of
  // The functions above: sum of the per-sample losses, dout as documented.
  double (*f32)(const float* out, const int* labels, int n, int k, float* dout, int batch_total);
  double (*f64)(const double* out, const int* labels, int n, int k, double* dout, int batch_total);
  // The loss of the best outputs that ignore the input, for k balanced
  // classes (ce: log k; mse: (k - 1) / k^2): a run stuck there learned nothing.
  double (*chance)(int k);

  double operator()(const float* out, const int* labels, int n, int k, float* dout,
                    int batch_total) const {
    return f32(out, labels, n, k, dout, batch_total);
  }
  double operator()(const double* out, const int* labels, int n, int k, double* dout,
                    int batch_total) const {
    return f64(out, labels, n, k, dout, batch_total);
  }
};

const std::vector<const LossDef*>& loss_table();
// Throws FieldError("loss") naming the losses there are.
const LossDef& find_loss(const std::string& name);
// Softmax cross-entropy: the default everywhere.
const LossDef& cross_entropy_loss();

}  // namespace handgrad
