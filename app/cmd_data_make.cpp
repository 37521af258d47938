// handgrad data make NAME: writes a generated 2-D dataset as CSV
// ("x1,x2,label"), the format `--data FILE.csv` reads back.
#include <cstdio>

#include "command.h"
#include "handgrad/core/error.h"
#include "handgrad/data/csv.h"
#include "handgrad/data/generators.h"
#include "int_flags.h"

namespace handgrad::cli {
namespace {

struct Opts {
  std::string name, out;
  GenOptions gen;
};

int run(const Opts& o) {
  if (o.out.empty()) throw UsageError("--out: give the CSV file to write");
  const Dataset d = generate(o.name, o.gen);
  write_csv(o.out, d);
  const double noise = o.gen.noise < 0 ? default_noise(o.name) : o.gen.noise;
  std::printf("wrote %s: %d points of '%s' (%d classes, noise %g, seed %llu)\n", o.out.c_str(),
              d.size(), o.name.c_str(), d.num_classes, noise,
              static_cast<unsigned long long>(o.gen.seed));
  return 0;
}

const Register reg{
    {"make", "Write a generated 2-D dataset (moons, circles, ...) as CSV",
     [](CLI::App& sub) {
       auto o = std::make_shared<Opts>();
       sub.add_option("name", o->name, "moons, circles, spirals, xor or blobs")->required();
       sub.add_option("--n", o->gen.n, "number of points")
           ->check(whole<int>(1))
           ->capture_default_str();
       sub.add_option("--noise", o->gen.noise,
                      "Gaussian noise std (default: moons 0.2, circles 0.1, "
                      "spirals 0.05, xor 0.1, blobs 0.6)")
           ->check(CLI::Validator(
               [](std::string& s) { return s.starts_with("-") ? "must be >= 0" : std::string(); },
               "NOISE>=0"));
       sub.add_option("--seed", o->gen.seed, "random seed")
           ->check(whole<uint64_t>())
           ->capture_default_str();
       sub.add_option("--factor", o->gen.factor, "circles: inner radius / outer")
           ->capture_default_str();
       sub.add_option("--classes", o->gen.classes, "blobs: number of clusters")
           ->capture_default_str();
       sub.add_option("--out", o->out, "CSV file to write")->required();
       return [o] { return run(*o); };
     },
     "data"}};

}  // namespace
}  // namespace handgrad::cli
