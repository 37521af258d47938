// handgrad init: writes a freshly initialised model, the same weights
// `handgrad train --seed S` starts from. The parity replay starts both
// frameworks from such a file.
#include <cstdio>

#include "command.h"
#include "handgrad/core/error.h"
#include "handgrad/model/model_file.h"
#include "handgrad/model/network.h"
#include "handgrad/model/presets.h"
#include "int_flags.h"

namespace handgrad::cli {
namespace {

struct Opts {
  std::string preset, arch, input, scheme = "torch", out;
  uint64_t seed = 0;
};

int run(const Opts& o) {
  const auto [arch, input, label] = resolve_net(o.preset, o.arch, o.input);
  const Init scheme = parse_init(o.scheme);
  Network<float> net(arch, input);
  net.num_classes();  // a model must end flat: fail here, not in a later command
  net.init(o.seed, scheme);
  save_model(o.out, net, {{"init", init_name(scheme)}, {"seed", std::to_string(o.seed)}});
  std::printf("wrote %s: %s on %s, %zu parameters, init %s, seed %llu\n", o.out.c_str(),
              net.arch().c_str(), dims_str(input).c_str(), net.num_params(), init_name(scheme),
              static_cast<unsigned long long>(o.seed));
  return 0;
}

const Register reg{
    {"init", "Write a freshly initialised model (safetensors)", [](CLI::App& sub) {
       auto o = std::make_shared<Opts>();
       add_net_flags(sub, o->preset, o->arch, o->input);
       sub.add_option("--init", o->scheme, "torch, he or xavier")->capture_default_str();
       sub.add_option("--seed", o->seed, "random seed")
           ->check(whole<uint64_t>())
           ->capture_default_str();
       sub.add_option("--out", o->out, "model file to write")->required();
       return [o] { return run(*o); };
     }}};

}  // namespace
}  // namespace handgrad::cli
