// handgrad gradcheck: finite-difference checks of every layer and of a whole
// network (see include/handgrad/gradcheck.h for the method and tolerance).
#include <cstdio>

#include "command.h"
#include "handgrad/core/error.h"
#include "handgrad/model/presets.h"
#include "handgrad/train/gradcheck.h"

namespace handgrad::cli {
namespace {

struct Opts {
  std::string preset, arch, input, loss = "ce";
  int batch = 2;
  uint64_t seed = 0;
  size_t max_checks = 200;
};

int run(const Opts& o) {
  const auto [arch, input, label] = resolve_net(o.preset, o.arch, o.input);
  if (o.batch < 1) throw UsageError("--batch-size: must be >= 1");
  const LossDef& loss = find_loss(o.loss);
  const GradReport r = gradcheck_network(arch, input, o.batch, o.seed, o.max_checks, loss);
  std::printf("gradcheck: %s on input %s, batch %d, float64 central differences (h=1e-6)\n",
              arch.c_str(), dims_str(input).c_str(), o.batch);
  std::printf("\n%-52s %12s %8s\n", "each layer alone", "max rel err", "checked");
  for (const auto& row : r.layers) {
    std::printf("%-52s %12.3e %8zu\n", row.what.c_str(), row.max_rel_error, row.checked);
  }
  std::printf("\n%-52s %12s %8s\n", ("whole network, " + loss.title).c_str(), "max rel err",
              "checked");
  for (const auto& row : r.params) {
    std::printf("%-52s %12.3e %8zu\n", row.what.c_str(), row.max_rel_error, row.checked);
  }
  const bool ok = r.ok();
  std::printf("\n%s: worst %.3e, tolerance %.0e\n", ok ? "PASS" : "FAIL", r.worst(),
              kGradTolerance);
  return ok ? 0 : kExitFailure;
}

const Register reg{
    {"gradcheck", "Check every hand-written gradient against finite differences",
     [](CLI::App& sub) {
       auto o = std::make_shared<Opts>();
       add_net_flags(sub, o->preset, o->arch, o->input);
       sub.add_option("--batch-size", o->batch, "samples per check")->capture_default_str();
       sub.add_option("--seed", o->seed, "random seed")->capture_default_str();
       sub.add_option("--max-checks", o->max_checks, "elements compared per tensor")
           ->capture_default_str();
       sub.add_option("--loss", o->loss, "the whole network's loss: ce or mse")
           ->capture_default_str();
       return [o] { return run(*o); };
     }}};

}  // namespace
}  // namespace handgrad::cli
