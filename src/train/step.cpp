// Plain single-threaded StepRunner over the reference layers.
#include "handgrad/step.h"

#include <algorithm>

namespace handgrad {

struct StepRunner::Impl {
  Network<float>& net;
  int threads;
  Workspace<float> ws;
  Buffer<float> grads;
};

StepRunner::StepRunner(Network<float>& net, int threads)
    : impl_(std::make_unique<Impl>(Impl{net, std::max(1, threads), {}, {}})) {
  impl_->grads.resize(net.num_params());
}

StepRunner::~StepRunner() = default;

double StepRunner::loss_and_grad(const float* x, const int* labels, int n) {
  impl_->grads.zero();
  return impl_->net.loss_and_grad(x, labels, n, n, impl_->ws, impl_->grads.data()) / n;
}

const float* StepRunner::grads() const { return impl_->grads.data(); }
float* StepRunner::grads() { return impl_->grads.data(); }

void StepRunner::predict(const float* x, int n, float* logits) {
  const float* out = impl_->net.forward(x, n, impl_->ws);
  std::copy(out, out + static_cast<size_t>(n) * impl_->net.num_classes(), logits);
}

int StepRunner::threads() const { return impl_->threads; }

}  // namespace handgrad
