// handgrad replay: the handgrad half of the PyTorch parity check. From a
// model file's initial weights and a batch-order file, trains through the
// same Session as `handgrad train` (its run files land in --out too) and
// writes exactly what reference/replay.py writes, in the same formats:
//   losses.txt          one line per step: the mean loss of that step's batch
//   grads0.safetensors  the gradients at step 0 (before any update)
//   params.safetensors  the model (parameters and buffers) after the last step
//   logits.safetensors  "init" and "final": logits (m, classes) on the first m test samples
//                       (evaluation mode)
// The training flags are train's (--loss, --optimizer, --lr-schedule ...); an
// epoch is the batch-order file's lines, so --lr-step-epochs 0.25 decays the
// rate every quarter of them, and cosine's T_max is the steps replayed.
#include <cstdio>
#include <limits>
#include <numeric>

#include "command.h"
#include "data_flags.h"
#include "handgrad/core/error.h"
#include "handgrad/core/files.h"
#include "handgrad/data/data_source.h"
#include "handgrad/model/model_file.h"
#include "handgrad/model/presets.h"
#include "handgrad/train/session.h"
#include "optim_flags.h"

namespace handgrad::cli {
namespace {

struct Opts {
  std::string init, arch, input, batch_order, out;
  DataArgs data;
  ObjectiveFlags objective;
  TrainOptions resolved;  // the objective as resolved after parsing
  int steps = 0;          // 0: every line of the batch order
  int test_batch = 100;
  int threads = 1;
  uint64_t seed = 0;  // the run seed: dropout masks
};

// The values (net.num_params(), laid out as the parameters) as named tensors.
SafeTensors as_tensors(const Network<float>& net, const float* values) {
  SafeTensors st;
  st.metadata = {{"arch", net.arch()}, {"input", dims_str(net.input_dims())}};
  for (const auto& p : net.param_info()) {
    st.tensors.push_back({p.name, p.dims, {values + p.offset, values + p.offset + p.size}});
  }
  return st;
}

// The training settings: the run goes through the same Session as `handgrad
// train`, along the batch order, from the --init file's weights.
TrainOptions session_options(const Opts& o) {
  TrainOptions t;
  std::string preset, arch = o.arch, input = o.input;
  if (arch.empty()) {
    const SafeTensors init = read_safetensors(o.init);
    const auto a = init.metadata.find("arch"), i = init.metadata.find("input");
    if (a == init.metadata.end() || i == init.metadata.end()) {
      throw UsageError("--init: " + o.init + " records no architecture; give --arch and --input");
    }
    arch = a->second;
    if (input.empty()) input = i->second;
  }
  for (const auto& p : presets()) {
    if (p.name == arch) preset = arch, arch.clear();
  }
  const NetSpec spec = resolve_net(preset, arch, input);
  t.preset = spec.label;
  t.arch = spec.arch;
  t.input = dims_str(spec.input);
  t.data = o.data;
  t.init = o.init;
  t.batch_order = o.batch_order;
  t.iterations = o.steps;
  t.loss = o.resolved.loss;
  t.optim = o.resolved.optim;
  t.schedule = o.resolved.schedule;
  t.threads = o.threads;
  t.seed = o.seed;
  t.out_dir = o.out;
  t.eval_every = std::numeric_limits<long>::max();  // only the final evaluation
  t.checkpoint_every = 0;
  t.quiet = true;
  t.plots = false;
  return t;
}

int run(const Opts& o) {
  if (o.steps < 0) throw UsageError("--steps: must be >= 0");
  if (o.test_batch < 1) throw UsageError("--test-batch: must be >= 1");
  Session s(session_options(o));
  const Network<float>& net = s.network();
  const int k = net.num_classes();
  const Dataset& test = s.data().test;
  // Test batch: the first m test samples. xt: (m, input), logits: (m, k).
  const int m = std::min(o.test_batch, test.size());
  std::vector<int> test_idx(m), yt(m);
  std::iota(test_idx.begin(), test_idx.end(), 0);
  std::vector<float> xt(m * test.sample_size()), logits0(m * k), logits1(m * k);
  gather_batch(test, test_idx.data(), m, xt.data(), yt.data());
  s.runner().predict(xt.data(), m, logits0.data());

  // Each step's loss, and the gradient of step 0 (before any update).
  std::string losses;
  std::vector<double> loss_values;
  std::vector<float> grads0;
  s.set_gradient_fn([&](const float* x, const int* y, int n) {
    const double loss = s.runner().loss_and_grad(x, y, n);
    if (loss_values.empty())
      grads0.assign(s.runner().grads(), s.runner().grads() + net.num_params());
    loss_values.push_back(loss);
    char line[32];
    std::snprintf(line, sizeof line, "%.9e\n", loss);
    losses += line;
    return loss;
  });
  s.run();
  s.runner().predict(xt.data(), m, logits1.data());

  const std::string dir = o.out + "/";
  write_file_atomic(dir + "losses.txt", losses);
  write_safetensors(dir + "grads0.safetensors", as_tensors(net, grads0.data()));
  save_model(dir + "params.safetensors", net);
  SafeTensors lg;
  lg.tensors = {{"init", {m, k}, logits0}, {"final", {m, k}, logits1}};
  write_safetensors(dir + "logits.safetensors", lg);
  std::printf("replay: %zu steps of %s; loss %.6f -> %.6f; wrote %s\n", loss_values.size(),
              net.arch().c_str(), loss_values.front(), loss_values.back(), o.out.c_str());
  return 0;
}

const Register reg{
    {"replay", "Train from given weights along a batch-order file (PyTorch parity)",
     [](CLI::App& sub) {
       auto o = std::make_shared<Opts>();
       sub.add_option("--init", o->init, "model file with the initial weights")->required();
       sub.add_option("--arch", o->arch, "architecture or preset (default: the --init file's)");
       sub.add_option("--input", o->input, "input shape for --arch, e.g. 1x28x28");
       add_data_flags(sub, o->data);
       sub.add_option("--batch-order", o->batch_order, "one line of sample indices per step")
           ->required();
       sub.add_option("--steps", o->steps, "steps to run (0: every line)")->capture_default_str();
       add_objective_flags(sub, o->objective);
       sub.add_option("--test-batch", o->test_batch, "test samples whose logits are written")
           ->capture_default_str();
       sub.add_option("--threads", o->threads, "threads")->capture_default_str();
       sub.add_option("--seed", o->seed, "run seed (dropout masks)")->capture_default_str();
       sub.add_option("--out", o->out, "folder for the outputs")->required();
       return [o, &sub] {
         o->resolved.loss = o->objective.loss;
         o->resolved.optim = resolve_optimizer(sub, o->objective.optim);
         o->resolved.schedule = o->objective.schedule;
         return run(*o);
       };
     }}};

}  // namespace
}  // namespace handgrad::cli
