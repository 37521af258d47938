// handgrad relu-demo: the seed report's Q2 example (eqs. 36-42), checked,
// then a correct minimal ReLU construction and a tiny trained network.
#include <cstdio>
#include <string>
#include <vector>

#include "command.h"
#include "handgrad/core/error.h"
#include "handgrad/demo/relu_demo.h"
#include "handgrad/demo/relu_demo_plot.h"

namespace handgrad::cli {
namespace {

struct Opts {
  std::string out;
  DemoTrainOptions train;
};

std::string vec(const std::vector<double>& v) {
  std::string s = "[";
  char buf[32];
  for (size_t i = 0; i < v.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%g", i ? ", " : "", v[i] + 0.0);  // + 0.0: no "-0"
    s += buf;
  }
  return s + "]";
}

std::string labels() {
  std::vector<double> y(kDemoY.begin(), kDemoY.end());
  return vec(y);
}

void print_seed_chain() {
  const SeedChain c = seed_chain(kDemoX);
  std::printf("1. The seed report's example (eqs. 36-42), recomputed\n");
  std::printf("   X  = %s   y = %s   (6 points; the report writes X in R^{5x1})\n",
              vec(kDemoX).c_str(), labels().c_str());
  std::printf("   X1 = X - 1      = %s\n", vec(c.x1).c_str());
  std::printf("   X2 = ReLU(X1)   = %s\n", vec(c.x2).c_str());
  std::printf("   X3 = -X2        = %s\n", vec(c.x3).c_str());
  std::printf("   X4 = X3 + 5     = %s   (the report prints [0, 3, 2, 1, -1, -2])\n",
              vec(c.x4).c_str());
  std::printf("   X5 = ReLU(X4)   = %s   (the report prints [0, 3, 2, 1, 0, 0])\n",
              vec(c.x5).c_str());
  std::printf(
      "   Check: at x = 1, X4 = -ReLU(1 - 1) + 5 = 5, not 0. The report's first entry is\n"
      "   wrong, and with it the conclusion: X5 = 5 at x = 1 (class 0) is the largest value,\n"
      "   so no threshold on X5 puts x = 1 with x = 7, 8 and apart from x = 3, 4, 5.\n"
      "   Best single-threshold accuracy on X5: %.3f (on X itself: %.3f).\n",
      best_threshold_accuracy(c.x5, kDemoY), best_threshold_accuracy(kDemoX, kDemoY));
  std::printf(
      "   Why: every step is monotone in x, so X5 = max(0, 6 - x) on these points is too;\n"
      "   a monotone score with a threshold can only cut the line once, and class 1 sits\n"
      "   between two class-0 groups. What the example does show: ReLU bends a line\n"
      "   (X5 is not affine in x). What it does not show: a separation. One ReLU unit\n"
      "   feeding a linear read-out, a*ReLU(w*x + b) + c, is always monotone; it takes two.\n\n");
}

void print_tent() {
  std::vector<double> h;
  for (double x : kDemoX) h.push_back(tent(x));
  std::printf("2. A correct minimal construction: two ReLU units\n");
  std::printf("   h(x) = %g - ReLU(x - 4.5) - ReLU(4.5 - x)   (= 2.5 - |x - 4.5|)\n", kTentB2);
  std::printf(
      "   as a network 1 -> 2 ReLU -> 1: W1 = [%g, %g], b1 = [%g, %g], w2 = [%g, %g], b2 = %g\n",
      kTentW1[0], kTentW1[1], kTentB1[0], kTentB1[1], kTentW2[0], kTentW2[1], kTentB2);
  std::printf("   h(X) = %s; class 1 iff h > 0.5, i.e. x in (2.5, 6.5)\n", vec(h).c_str());
  std::printf("   single-threshold accuracy on h: %.3f\n\n", best_threshold_accuracy(h, kDemoY));
}

int run(const Opts& o) {
  print_seed_chain();
  print_tent();
  const TrainedDemo t = train_relu_demo(o.train);
  std::printf(
      "3. Trained with handgrad: %s on standardised x, torch init,\n"
      "   full-batch SGD (lr %g, momentum %g)\n",
      t.arch.c_str(), o.train.lr, o.train.momentum);
  std::printf("   seed %llu (%d tried): %d epochs, loss %.4f, training accuracy %.0f%%\n",
              static_cast<unsigned long long>(t.seed), t.seeds_tried, t.epochs, t.loss,
              100 * t.accuracy);
  std::vector<double> p;
  for (double x : kDemoX) {
    size_t i = static_cast<size_t>(x / 9.0 * (static_cast<double>(t.grid.size()) - 1) + 0.5);
    p.push_back(std::round(t.prob1[i] * 1000) / 1000);
  }
  std::printf("   p(class 1 | X) = %s\n", vec(p).c_str());
  if (!o.out.empty()) {
    write_relu_demo_plot(o.out, t);
    std::printf("wrote %s\n", o.out.c_str());
  }
  return 0;
}

const Register reg{
    {"relu-demo", "Recompute the seed report's 1-D ReLU example and train a tiny net on it",
     [](CLI::App& sub) {
       auto o = std::make_shared<Opts>();
       sub.add_option("--out", o->out, "also draw the points and functions to this PNG");
       sub.add_option("--hidden", o->train.hidden, "hidden ReLU units")->capture_default_str();
       sub.add_option("--lr", o->train.lr, "learning rate")->capture_default_str();
       sub.add_option("--epochs", o->train.max_epochs, "most full-batch epochs per seed")
           ->capture_default_str();
       sub.add_option("--seed", o->train.first_seed, "first seed tried")->capture_default_str();
       return [o] {
         if (o->train.hidden < 1 || o->train.hidden > 1000) {
           throw UsageError("--hidden: must be in [1, 1000]");
         }
         if (o->train.max_epochs < 1) throw UsageError("--epochs: must be >= 1");
         return run(*o);
       };
     }}};

}  // namespace
}  // namespace handgrad::cli
