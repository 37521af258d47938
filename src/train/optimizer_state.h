#pragma once
// optimizer.safetensors: an optimizer's state as named tensors, torch-like:
// "<param>.<state>" for each state tensor ("0.weight.exp_avg", laid out as
// the parameter) and, for optimizers that count, "<param>.step" (a scalar,
// float32 as torch.optim keeps it). Metadata: "step" (the run's) and
// "optimizer" (its kind).
#include "handgrad/core/safetensors.h"
#include "handgrad/model/network.h"
#include "handgrad/optim/optimizer.h"

namespace handgrad {

SafeTensors optimizer_tensors(const Network<float>& net, Optimizer<float>& opt, long step);

// Fills opt's state from st (read from `path`). Throws Error naming the
// file and the tensor when one is missing or has the wrong shape, or when
// the file is another optimizer's.
void load_optimizer_tensors(const SafeTensors& st, const std::string& path,
                            const Network<float>& net, Optimizer<float>& opt);

}  // namespace handgrad
