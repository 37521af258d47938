#pragma once
// Softmax cross-entropy, the seed's eq. 12, averaged over the batch exactly
// like PyTorch's F.cross_entropy (reduction='mean').

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

// probs: (n, k) assigned softmax(logits).
template <class T>
void softmax(const T* logits, int n, int k, T* probs);

}  // namespace handgrad
