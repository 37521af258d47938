// handgrad as a library: the seed report's Part 2 network trained by a
// training loop of your own. Every call below is public API
// (include/handgrad/); `handgrad train` does the same with checkpoints,
// plots and progress on top.
//   build/examples/moons_loop [epochs]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "handgrad/core/error.h"
#include "handgrad/core/rng.h"
#include "handgrad/data/dataset.h"
#include "handgrad/data/generators.h"
#include "handgrad/data/standardize.h"
#include "handgrad/model/model_file.h"
#include "handgrad/model/network.h"
#include "handgrad/optim/sgd.h"
#include "handgrad/train/evaluate.h"
#include "handgrad/train/step_runner.h"
#include "handgrad/train/trainer.h"  // clip_grad_norm

int main(int argc, char** argv) try {
  using namespace handgrad;
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 100;
  const int batch = 16;

  // 1000 points of two interleaved half moons, 80% to train, 20% to test.
  GenOptions g;
  g.n = 1000;
  TrainTest data = split_train_test(generate("moons", g), 0.2, /*seed=*/0);
  // 2 -> 8 -> 16 -> 32 -> 16 -> 8 -> 2, ReLU between; shapes are inferred
  // from the input (2) and checked: a bad string throws naming the layer.
  Network<float> net(
      "linear(8) relu linear(16) relu linear(32) relu linear(16) relu linear(8) "
      "relu linear(2)",
      {2});
  net.init(/*seed=*/0, Init::he);
  // The network's input step: zero mean, unit variance per feature, fitted
  // on the training points; every forward pass applies it to raw points.
  // With this and the clipping below the seed's lr 0.1 trains reliably;
  // without them this seed's net dies at chance (docs/part2.md).
  net.set_input_norm(fit_standardizer(data.train));

  StepRunner runner(net, /*threads=*/1);  // forward + hand-written backward
  SgdOptions o;
  o.lr = 0.1;
  o.momentum = 0.9;
  Sgd<float> sgd(net.num_params(), o);  // torch.optim.SGD's update, exactly

  Rng rng(0);
  std::vector<float> xb(static_cast<size_t>(batch) * 2);  // (batch, 2)
  std::vector<int> yb(batch);                             // (batch)
  for (int e = 0; e < epochs; ++e) {
    const std::vector<int> order = rng.permutation(data.train.size());
    double loss_sum = 0;
    int steps = 0;
    for (int i = 0; i < data.train.size(); i += batch) {
      const int n = std::min(batch, data.train.size() - i);
      gather_batch(data.train, order.data() + i, n, xb.data(), yb.data());
      loss_sum += runner.loss_and_grad(xb.data(), yb.data(), n);  // mean loss; grads() filled
      clip_grad_norm(runner.grads(), net.num_params(), 0.5);
      sgd.step(net.params(), runner.grads());
      ++steps;
    }
    if ((e + 1) % 20 == 0 || e + 1 == epochs) {
      const EvalResult r = evaluate(runner, net, data.test);
      std::printf("epoch %3d  train loss %.4f  test loss %.4f  test accuracy %.3f\n", e + 1,
                  loss_sum / steps, r.loss, r.accuracy);
    }
  }
  // The input step is saved with the model: `handgrad eval|boundary --model
  // moons_loop.safetensors` apply it as they read the model.
  save_model("moons_loop.safetensors", net);
  std::printf("model: moons_loop.safetensors\n");
  return 0;
} catch (const handgrad::Error& e) {  // bad data, shapes or files: one line
  std::fprintf(stderr, "moons_loop: %s\n", e.what());
  return 1;
}
