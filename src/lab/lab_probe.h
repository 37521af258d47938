#pragma once
// One image through a network and back, layer by layer, as the MNIST lab
// shows it: each layer's output (activation), its parameters, and for a
// chosen target class the backward pass of L = -log softmax(logits)[target]:
// dL/d(output of the layer) and dL/d(its parameters), with the seed
// report's equation numbers where the network is the seed's CNN
// (docs/math.md maps eqs. 1-35 to these layers).
#include <nlohmann/json.hpp>
#include <vector>

#include "handgrad/model/network.h"

namespace handgrad::lab {

// The numbers behind probe_json, unrounded. The forward pass is the
// network's own (Network::forward, evaluation mode, its input step
// included): ws.ops[i].out_ptr is layer i's output and ws.ops[i].saved what
// layer i kept for its backward pass, which the probe then runs layer by
// layer (Layer::backward with the same Pass) to keep every dL/d(output).
struct Probe {
  std::vector<float> probs;  // (classes)
  int prediction = 0, target = 0;
  Workspace<float> ws;                   // the forward pass; ws.ops[i].out_ptr: layer i's output
  std::vector<std::vector<float>> dout;  // dout[i]: dL/d(output of layer i)
  std::vector<float> grads;              // dL/d(params), the network's flat layout
  std::vector<float> dinput;             // dL/d(raw input)
};
// x: (input dims), raw (the network applies its own input step). target <
// 0: the predicted class.
Probe run_probe(const Network<float>& net, const std::vector<float>& x, int target);

// As JSON, tensors quantized (lab_views.h). layers = false: only "probs",
// "top", "prediction", "target".
nlohmann::json probe_json(const Network<float>& net, const std::vector<float>& x, int target,
                          bool layers);

}  // namespace handgrad::lab
