#include "handgrad/data/generators.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "handgrad/core/error.h"
#include "handgrad/core/rng.h"

namespace handgrad {
namespace {

constexpr double kPi = std::numbers::pi;

struct Point {
  double x0, x1;
  int label;
};

// Position i of m evenly spaced values in [0, 1] (numpy's linspace).
double lin(int i, int m) {
  return m > 1 ? static_cast<double>(i) / (m - 1) : 0.0;
}

// Class c gets n / classes points, the first n % classes classes one more.
int class_count(int n, int classes, int c) {
  return n / classes + (c < n % classes ? 1 : 0);
}

std::vector<Point> moons(const GenOptions& o) {
  std::vector<Point> p;
  const int m0 = class_count(o.n, 2, 0), m1 = class_count(o.n, 2, 1);
  for (int i = 0; i < m0; ++i) {
    const double t = kPi * lin(i, m0);
    p.push_back({std::cos(t), std::sin(t), 0});
  }
  for (int i = 0; i < m1; ++i) {
    const double t = kPi * lin(i, m1);
    p.push_back({1.0 - std::cos(t), 0.5 - std::sin(t), 1});
  }
  return p;
}

std::vector<Point> circles(const GenOptions& o) {
  std::vector<Point> p;
  for (int c = 0; c < 2; ++c) {
    const int m = class_count(o.n, 2, c);
    const double r = c == 0 ? 1.0 : o.factor;
    // endpoint excluded, so 0 and 2*pi do not both appear.
    for (int i = 0; i < m; ++i) {
      const double t = 2 * kPi * i / m;
      p.push_back({r * std::cos(t), r * std::sin(t), c});
    }
  }
  return p;
}

std::vector<Point> spirals(const GenOptions& o) {
  std::vector<Point> p;
  for (int c = 0; c < 2; ++c) {
    const int m = class_count(o.n, 2, c);
    for (int i = 0; i < m; ++i) {
      // radius grows linearly from 0.1 to 1 over 1.5 turns; arm c is rotated by c*pi.
      const double t = 0.1 + 0.9 * lin(i, m);
      const double a = 3 * kPi * t + c * kPi;
      p.push_back({t * std::cos(a), t * std::sin(a), c});
    }
  }
  return p;
}

std::vector<Point> xor_points(const GenOptions& o, Rng& rng) {
  std::vector<Point> p;
  for (int c = 0; c < 2; ++c) {
    const int m = class_count(o.n, 2, c);
    for (int i = 0; i < m; ++i) {
      // Draw a point in the first quadrant and move it to a quadrant of class c,
      // so both classes get exactly their share.
      const double u = rng.uniform(0, 1), v = rng.uniform(0, 1);
      const bool flip = rng.below(2) == 1;
      const double sx = flip ? -1 : 1;
      const double sy = c == 0 ? sx : -sx;  // class 1: x*y < 0
      p.push_back({sx * u, sy * v, c});
    }
  }
  return p;
}

std::vector<Point> blobs(const GenOptions& o) {
  std::vector<Point> p;
  for (int c = 0; c < o.classes; ++c) {
    const double a = kPi / 4 + 2 * kPi * c / o.classes;
    const int m = class_count(o.n, o.classes, c);
    for (int i = 0; i < m; ++i) p.push_back({2 * std::cos(a), 2 * std::sin(a), c});
  }
  return p;
}

UsageError unknown(const std::string& name) {
  return UsageError("unknown dataset '" + name +
                    "' (generators: moons, circles, spirals, xor, blobs; or a .csv file)");
}

}  // namespace

const std::vector<std::string>& generator_names() {
  static const std::vector<std::string> names = {"moons", "circles", "spirals", "xor", "blobs"};
  return names;
}

bool is_generator(const std::string& name) {
  for (const auto& g : generator_names()) {
    if (g == name) return true;
  }
  return false;
}

double default_noise(const std::string& name) {
  if (name == "moons") return 0.2;
  if (name == "circles") return 0.1;
  if (name == "spirals") return 0.05;
  if (name == "xor") return 0.1;
  if (name == "blobs") return 0.6;
  throw unknown(name);
}

Dataset generate(const std::string& name, const GenOptions& o) {
  if (!is_generator(name)) throw unknown(name);
  const double noise = o.noise < 0 ? default_noise(name) : o.noise;
  if (!std::isfinite(noise)) throw FieldError("noise", "must be a finite number");
  if (o.n < 2 || o.n > 10'000'000) throw FieldError("n", "must be in [2, 10000000]");
  if (!(o.factor > 0 && o.factor < 1)) throw FieldError("factor", "must be in (0, 1)");
  const int classes = name == "blobs" ? o.classes : 2;
  if (classes < 2 || classes > 100) throw FieldError("classes", "must be in [2, 100]");
  if (o.n < classes) throw FieldError("n", "need at least one point per class");

  // Separate streams for shapes, noise and order, so changing the noise
  // moves every point a little instead of producing a different data set.
  Rng shape_rng(o.seed * 3 + 1), noise_rng(o.seed * 3 + 2), order_rng(o.seed * 3 + 3);
  std::vector<Point> pts;
  if (name == "moons") pts = moons(o);
  if (name == "circles") pts = circles(o);
  if (name == "spirals") pts = spirals(o);
  if (name == "xor") pts = xor_points(o, shape_rng);
  if (name == "blobs") pts = blobs(o);

  Dataset d;
  d.name = name;
  d.sample_dims = {2};
  d.num_classes = classes;
  d.x.resize(pts.size() * 2);
  d.y.resize(pts.size());
  const std::vector<int> order = order_rng.permutation(static_cast<int>(pts.size()));
  for (size_t i = 0; i < pts.size(); ++i) {
    const Point& q = pts[static_cast<size_t>(order[i])];
    // x: (n, 2)
    d.x[2 * i] = static_cast<float>(q.x0 + noise * noise_rng.normal());
    d.x[2 * i + 1] = static_cast<float>(q.x1 + noise * noise_rng.normal());
    d.y[i] = q.label;
  }
  return d;
}

TrainTest split_train_test(const Dataset& d, double test_fraction, uint64_t seed) {
  if (!(test_fraction > 0 && test_fraction < 1)) {
    throw FieldError("test_fraction", "must be in (0, 1)");
  }
  const int n = d.size();
  if (n < 2) throw UsageError(d.name + ": need at least 2 samples to split into train and test");
  int n_test = static_cast<int>(std::lround(n * test_fraction));
  n_test = std::min(std::max(n_test, 1), n - 1);
  // A stream of its own: the split does not depend on how the data was made.
  Rng rng(seed ^ 0x5eed5b117ULL);
  const std::vector<int> perm = rng.permutation(n);
  TrainTest tt;
  for (Dataset* part : {&tt.train, &tt.test}) {
    part->name = d.name + (part == &tt.train ? "/train" : "/test");
    part->sample_dims = d.sample_dims;
    part->num_classes = d.num_classes;
  }
  const size_t s = d.sample_size();
  for (int i = 0; i < n; ++i) {
    Dataset& part = i < n_test ? tt.test : tt.train;
    const float* src = d.sample(perm[static_cast<size_t>(i)]);
    part.x.insert(part.x.end(), src, src + s);
    part.y.push_back(d.y[static_cast<size_t>(perm[static_cast<size_t>(i)])]);
  }
  return tt;
}

}  // namespace handgrad
