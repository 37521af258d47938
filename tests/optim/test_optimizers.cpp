// Adam, AdamW and RMSprop against the update rules as their papers and
// torch's documentation write them, coded here independently in float64
// (bias-corrected moments m_hat, v_hat); the optimizer table, its defaults
// (torch's) and the validation of every setting.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "handgrad/core/error.h"
#include "handgrad/core/rng.h"
#include "handgrad/optim/optimizer.h"
#include "handgrad/optim/sgd.h"

namespace handgrad {
namespace {

struct Trace {
  std::vector<double> p;
  std::vector<std::vector<double>> grads;  // per step
};

Trace random_trace(size_t n, int steps, uint64_t seed) {
  Rng rng(seed);
  Trace t;
  t.p.resize(n);
  for (auto& v : t.p) v = rng.uniform(-1, 1);
  for (int s = 0; s < steps; ++s) {
    t.grads.emplace_back(n);
    for (auto& g : t.grads.back()) g = rng.normal() * 0.1;
  }
  return t;
}

// Adam (Kingma & Ba, with torch's eps placement) and AdamW (Loshchilov &
// Hutter as torch.optim.AdamW: p *= 1 - lr wd, then the Adam step).
std::vector<double> adam_paper(Trace t, const OptimizerOptions& o, bool decoupled) {
  std::vector<double> m(t.p.size()), v(t.p.size());
  for (size_t s = 0; s < t.grads.size(); ++s) {
    const double step = static_cast<double>(s + 1);
    for (size_t i = 0; i < t.p.size(); ++i) {
      double g = t.grads[s][i];
      if (decoupled) {
        t.p[i] -= o.lr * o.weight_decay * t.p[i];
      } else {
        g += o.weight_decay * t.p[i];
      }
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
      const double m_hat = m[i] / (1 - std::pow(o.beta1, step));
      const double v_hat = v[i] / (1 - std::pow(o.beta2, step));
      t.p[i] -= o.lr * m_hat / (std::sqrt(v_hat) + o.eps);
    }
  }
  return t.p;
}

// RMSprop (Hinton's lecture 6e as torch.optim.RMSprop, with momentum).
std::vector<double> rmsprop_paper(Trace t, const OptimizerOptions& o) {
  std::vector<double> sq(t.p.size()), b(t.p.size());
  for (const auto& grad : t.grads) {
    for (size_t i = 0; i < t.p.size(); ++i) {
      const double g = grad[i] + o.weight_decay * t.p[i];
      sq[i] = o.alpha * sq[i] + (1 - o.alpha) * g * g;
      const double update = g / (std::sqrt(sq[i]) + o.eps);
      b[i] = o.momentum * b[i] + update;
      t.p[i] -= o.lr * (o.momentum > 0 ? b[i] : update);
    }
  }
  return t.p;
}

std::vector<double> run(const OptimizerOptions& o, Trace t) {
  auto opt = make_optimizer<double>(t.p.size(), o);
  for (const auto& g : t.grads) opt->step(t.p.data(), g.data(), o.lr);
  EXPECT_EQ(opt->steps(), static_cast<long>(t.grads.size()));
  return t.p;
}

double max_rel(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0, s = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    d = std::max(d, std::fabs(a[i] - b[i]));
    s = std::max(s, std::fabs(b[i]));
  }
  return d / s;
}

OptimizerOptions opts(const std::string& name, double wd) {
  OptimizerOptions o = optimizer_defaults(name);
  o.lr = 0.01;
  o.weight_decay = wd;
  return o;
}

TEST(Adam, MatchesThePaperForm) {
  const Trace t = random_trace(257, 12, 1);
  for (const double wd : {0.0, 0.05}) {
    const OptimizerOptions o = opts("adam", wd);
    EXPECT_LT(max_rel(run(o, t), adam_paper(t, o, false)), 1e-13) << "wd " << wd;
  }
  OptimizerOptions betas = opts("adam", 0);
  betas.beta1 = 0.5;
  betas.beta2 = 0.9;
  betas.eps = 1e-3;
  EXPECT_LT(max_rel(run(betas, t), adam_paper(t, betas, false)), 1e-13);
}

TEST(AdamW, DecaysTheWeightsApartFromTheGradient) {
  const Trace t = random_trace(257, 12, 2);
  for (const double wd : {0.01, 0.3}) {
    const OptimizerOptions o = opts("adamw", wd);
    EXPECT_LT(max_rel(run(o, t), adam_paper(t, o, true)), 1e-13) << "wd " << wd;
  }
  // Decoupled is not L2: the same weight decay gives another result under Adam.
  EXPECT_GT(max_rel(run(opts("adamw", 0.3), t), run(opts("adam", 0.3), t)), 1e-4);
}

TEST(Adam, FirstStepIsLrTimesTheSign) {
  // m_hat = g, v_hat = g^2: the first step is lr * g / (|g| + eps), ~ lr * sign(g).
  auto opt = make_optimizer<double>(2, opts("adam", 0));
  double p[] = {1, 1}, g[] = {3, -1e-3};
  opt->step(p, g, 0.01);
  EXPECT_NEAR(p[0], 1 - 0.01, 1e-9);
  EXPECT_NEAR(p[1], 1 + 0.01, 1e-7);
}

TEST(RmsProp, MatchesTheRule) {
  const Trace t = random_trace(257, 12, 3);
  for (const double mu : {0.0, 0.9}) {
    for (const double wd : {0.0, 0.05}) {
      OptimizerOptions o = opts("rmsprop", wd);
      o.momentum = mu;
      EXPECT_LT(max_rel(run(o, t), rmsprop_paper(t, o)), 1e-13) << "momentum " << mu;
    }
  }
}

TEST(Optimizers, StateIsNamedAsTorchNamesIt) {
  auto names = [](const std::string& kind, double momentum) {
    OptimizerOptions o = optimizer_defaults(kind);
    o.momentum = momentum;
    auto opt = make_optimizer<float>(3, o, nullptr);
    std::vector<std::string> out;
    for (const auto& s : opt->state()) {
      EXPECT_EQ(s.values->size(), 3u);
      out.push_back(s.name);
    }
    if (opt->keeps_step()) out.push_back("step");
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names("sgd", 0.9), V{"momentum_buffer"});
  EXPECT_EQ(names("adam", 0), (V{"exp_avg", "exp_avg_sq", "step"}));
  EXPECT_EQ(names("adamw", 0), (V{"exp_avg", "exp_avg_sq", "step"}));
  EXPECT_EQ(names("rmsprop", 0), (V{"square_avg", "step"}));
  EXPECT_EQ(names("rmsprop", 0.5), (V{"square_avg", "momentum_buffer", "step"}));
}

TEST(Optimizers, DefaultsAreTorchs) {
  const OptimizerOptions adam = optimizer_defaults("adam"), adamw = optimizer_defaults("adamw");
  const OptimizerOptions rms = optimizer_defaults("rmsprop"), sgd = optimizer_defaults("sgd");
  EXPECT_EQ(adam.lr, 1e-3);
  EXPECT_EQ(adam.weight_decay, 0.0);
  EXPECT_EQ(adam.beta1, 0.9);
  EXPECT_EQ(adam.beta2, 0.999);
  EXPECT_EQ(adam.eps, 1e-8);
  EXPECT_EQ(adamw.lr, 1e-3);
  EXPECT_EQ(adamw.weight_decay, 0.01);
  EXPECT_EQ(rms.lr, 1e-2);
  EXPECT_EQ(rms.alpha, 0.99);
  EXPECT_EQ(rms.eps, 1e-8);
  EXPECT_EQ(rms.momentum, 0.0);
  // sgd: the seed's (torch's SGD has no default lr and momentum 0).
  EXPECT_EQ(sgd.lr, 0.01);
  EXPECT_EQ(sgd.momentum, 0.9);
  const OptimizerOptions plain;
  EXPECT_EQ(plain.optimizer, "sgd");
  EXPECT_EQ(plain.lr, sgd.lr);
  EXPECT_EQ(plain.momentum, sgd.momentum);
}

std::string field_of(const OptimizerOptions& o) {
  try {
    validate(o);
  } catch (const FieldError& e) {
    return e.field();
  }
  return "";
}

TEST(Optimizers, ValidationNamesTheSetting) {
  auto with = [](const std::string& kind, auto set) {
    OptimizerOptions o = optimizer_defaults(kind);
    set(o);
    return o;
  };
  EXPECT_EQ(field_of(with("sgd", [](auto& o) { o.optimizer = "nadam"; })), "optimizer");
  EXPECT_EQ(field_of(with("adam", [](auto& o) { o.beta1 = 1; })), "beta1");
  EXPECT_EQ(field_of(with("adam", [](auto& o) { o.beta2 = -0.1; })), "beta2");
  EXPECT_EQ(field_of(with("adamw", [](auto& o) { o.eps = -1; })), "eps");
  EXPECT_EQ(field_of(with("adamw", [](auto& o) { o.weight_decay = NAN; })), "weight_decay");
  EXPECT_EQ(field_of(with("rmsprop", [](auto& o) { o.alpha = 1.5; })), "alpha");
  EXPECT_EQ(field_of(with("rmsprop", [](auto& o) { o.momentum = 1; })), "momentum");
  EXPECT_EQ(field_of(with("rmsprop", [](auto& o) { o.lr = 0; })), "lr");
  EXPECT_EQ(field_of(with("adam", [](auto& o) { o.nesterov = true; })), "nesterov");
  // Settings an optimizer does not read are not its concern.
  EXPECT_EQ(field_of(with("adam", [](auto& o) { o.momentum = 7; })), "");
  EXPECT_EQ(field_of(with("sgd", [](auto& o) { o.beta1 = 7; })), "");
  for (const OptimizerDef* d : optimizer_table()) EXPECT_EQ(field_of(d->defaults), "") << d->name;
}

}  // namespace
}  // namespace handgrad
