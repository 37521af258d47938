#include "handgrad/demo/relu_demo.h"

#include <algorithm>
#include <cmath>

#include "handgrad/core/error.h"
#include "handgrad/layers/loss.h"
#include "handgrad/model/network.h"
#include "handgrad/optim/sgd.h"
#include "handgrad/train/step_runner.h"

namespace handgrad {
namespace {

double relu(double v) {
  return v > 0 ? v : 0;
}

// Mean and (population) standard deviation of kDemoX.
constexpr double kDemoMean = 28.0 / 6;
const double kDemoStd = std::sqrt((1 + 9 + 16 + 25 + 49 + 64) / 6.0 - kDemoMean * kDemoMean);

// Accuracy of "class 1 iff score > t" (or < t when `below`).
double accuracy_at(const std::vector<double>& s, const std::vector<int>& y, double t, bool below) {
  int ok = 0;
  for (size_t i = 0; i < s.size(); ++i) ok += ((below ? s[i] < t : s[i] > t) ? 1 : 0) == y[i];
  return static_cast<double>(ok) / static_cast<double>(s.size());
}

// Accuracy of the network on the six points; fills prob1 when asked.
double demo_accuracy(StepRunner& run, const std::vector<float>& x, const std::vector<int>& y) {
  const int n = static_cast<int>(y.size());
  std::vector<float> logits(static_cast<size_t>(n) * 2);
  run.predict(x.data(), n, logits.data());
  int ok = 0;
  for (int i = 0; i < n; ++i) {
    const int pred = logits[2 * i + 1] > logits[2 * i] ? 1 : 0;
    ok += pred == y[static_cast<size_t>(i)];
  }
  return static_cast<double>(ok) / n;
}

}  // namespace

SeedChain seed_chain(const std::vector<double>& x) {
  SeedChain c;
  for (double v : x) {
    c.x1.push_back(v - 1);
    c.x2.push_back(relu(c.x1.back()));
    c.x3.push_back(-c.x2.back());
    c.x4.push_back(c.x3.back() + 5);
    c.x5.push_back(relu(c.x4.back()));
  }
  return c;
}

double best_threshold_accuracy(const std::vector<double>& score, const std::vector<int>& y) {
  // Candidate thresholds: below all, between neighbours, above all.
  std::vector<double> s = score;
  std::sort(s.begin(), s.end());
  std::vector<double> cuts = {s.front() - 1, s.back() + 1};
  for (size_t i = 0; i + 1 < s.size(); ++i) cuts.push_back((s[i] + s[i + 1]) / 2);
  double best = 0;
  for (double t : cuts) {
    best = std::max({best, accuracy_at(score, y, t, false), accuracy_at(score, y, t, true)});
  }
  return best;
}

double tent(double x) {
  double h = kTentB2;
  for (int j = 0; j < 2; ++j) h += kTentW2[j] * relu(kTentW1[j] * x + kTentB1[j]);
  return h;
}

TrainedDemo train_relu_demo(const DemoTrainOptions& o) {
  TrainedDemo r;
  r.arch = "linear(" + std::to_string(o.hidden) + ") relu linear(2)";
  // x: (6, 1), standardised (mean 0, std 1) like --standardize does:
  // with the raw values 1..8 half of the seeds get stuck.
  std::vector<float> x;
  for (double v : kDemoX) x.push_back(static_cast<float>((v - kDemoMean) / kDemoStd));
  const int n = static_cast<int>(x.size());
  for (int s = 0; s < o.max_seeds; ++s) {
    Network<float> net(r.arch, {1});
    net.init(o.first_seed + static_cast<uint64_t>(s), Init::torch);
    StepRunner run(net, 1);
    SgdOptions so;
    so.lr = o.lr;
    so.momentum = o.momentum;
    Sgd<float> sgd(net.num_params(), so);
    // Full batch: the six points are the whole data set. Stop once every
    // point is right and the loss is small, so the boundary has a margin.
    for (int e = 1; e <= o.max_epochs; ++e) {
      r.loss = run.loss_and_grad(x.data(), kDemoY.data(), n);
      sgd.step(net.params(), run.grads());
      r.epochs = e;
      if (r.loss < 0.05 && demo_accuracy(run, x, kDemoY) == 1.0) break;
    }
    r.seeds_tried = s + 1;
    r.accuracy = demo_accuracy(run, x, kDemoY);
    if (r.accuracy < 1.0) continue;
    r.seed = o.first_seed + static_cast<uint64_t>(s);
    r.loss = run.loss_and_grad(x.data(), kDemoY.data(), n);
    r.params.assign(net.params(), net.params() + net.num_params());
    // p(class 1 | x) on a grid over [0, 9].
    const int g = 181;
    std::vector<float> gx(g), logits(2 * g), probs(2 * g);
    for (int i = 0; i < g; ++i) {
      gx[static_cast<size_t>(i)] = static_cast<float>((9.0 * i / (g - 1) - kDemoMean) / kDemoStd);
    }
    run.predict(gx.data(), g, logits.data());
    softmax(logits.data(), g, 2, probs.data());
    for (int i = 0; i < g; ++i) {
      r.grid.push_back(9.0 * i / (g - 1));
      r.prob1.push_back(probs[2 * static_cast<size_t>(i) + 1]);
    }
    return r;
  }
  throw Error("relu-demo: no seed in " + std::to_string(o.first_seed) + ".." +
              std::to_string(o.first_seed + static_cast<uint64_t>(o.max_seeds) - 1) +
              " reached 100% training accuracy (lr " + std::to_string(o.lr) + ", " +
              std::to_string(o.max_epochs) + " epochs)");
}

}  // namespace handgrad
