// handgrad replay: the handgrad half of the PyTorch parity check. From a
// model file's initial weights and a batch-order file, trains with Sgd and
// writes exactly what reference/replay.py writes, in the same formats:
//   losses.txt          one line per step: the mean loss of that step's batch
//   grads0.safetensors  the gradients at step 0 (before any update)
//   params.safetensors  the model after the last step
//   logits.safetensors  "init" and "final": logits (m, classes) on the first m test samples
#include <charconv>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "command.h"
#include "data_flags.h"
#include "handgrad/arch.h"
#include "handgrad/data_source.h"
#include "handgrad/error.h"
#include "handgrad/io.h"
#include "handgrad/optim.h"
#include "handgrad/safetensors.h"
#include "handgrad/step.h"

namespace handgrad::cli {
namespace {

struct Opts {
  std::string init, arch, input, batch_order, out;
  DataArgs data;
  SgdOptions sgd;
  int steps = 0;  // 0: every line of the batch order
  int test_batch = 100;
  int threads = 1;
};

// One batch per non-blank line: 0-based training-sample indices.
std::vector<std::vector<int>> read_batch_order(const std::string& path, int n_train) {
  const std::string text = read_file(path);
  std::vector<std::vector<int>> batches;
  size_t pos = 0;
  for (int line = 1; pos < text.size(); ++line) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::vector<int> batch;
    const char* p = text.data() + pos;
    const char* e = text.data() + end;
    for (;;) {
      while (p < e && (*p == ' ' || *p == '\t' || *p == '\r')) ++p;
      if (p == e) break;
      int v = 0;
      auto [q, ec] = std::from_chars(p, e, v);
      if (ec != std::errc() || (q < e && *q != ' ' && *q != '\t' && *q != '\r')) {
        const std::string token(p, std::min<size_t>(e - p, 20));
        throw Error(path + ":" + std::to_string(line) + ": '" + token +
                    "' is not a sample index (expected integers separated by spaces)");
      }
      if (v < 0 || v >= n_train) {
        throw Error(path + ":" + std::to_string(line) + ": index " + std::to_string(v) +
                    " is outside the training set [0, " + std::to_string(n_train) + ")");
      }
      batch.push_back(v);
      p = q;
    }
    if (!batch.empty()) batches.push_back(std::move(batch));
    pos = end + 1;
  }
  if (batches.empty()) throw Error(path + ": the batch order has no batches");
  return batches;
}

// The values (net.num_params(), laid out as the parameters) as named tensors.
SafeTensors as_tensors(const Network<float>& net, const float* values) {
  SafeTensors st;
  st.metadata = {{"arch", net.arch()}, {"input", dims_str(net.input_dims())}};
  for (const auto& p : net.param_info()) {
    st.tensors.push_back({p.name, p.dims, {values + p.offset, values + p.offset + p.size}});
  }
  return st;
}

Network<float> load_initial(const Opts& o) {
  if (o.arch.empty()) return std::move(load_model(o.init).net);
  std::string arch = o.arch;
  Dims input;
  for (const auto& p : presets()) {
    if (p.name == o.arch) arch = p.arch, input = p.input;
  }
  if (!o.input.empty()) input = parse_dims(o.input, "--input");
  if (input.empty()) throw UsageError("--arch needs --input, e.g. --input 1x28x28");
  Network<float> net(arch, input);
  load_params(read_safetensors(o.init), net, o.init);
  return net;
}

int run(const Opts& o) {
  validate(o.sgd);
  if (o.steps < 0) throw UsageError("--steps: must be >= 0");
  if (o.test_batch < 1) throw UsageError("--test-batch: must be >= 1");
  Network<float> net = load_initial(o);
  const int k = net.num_classes();
  const TrainTest data = load_data(o.data);
  if (data.train.sample_dims != net.input_dims() || data.test.sample_dims != net.input_dims()) {
    throw UsageError("--data: samples are " + dims_str(data.train.sample_dims) +
                     " but the network takes " + dims_str(net.input_dims()));
  }
  auto batches = read_batch_order(o.batch_order, data.train.size());
  if (o.steps > static_cast<int>(batches.size())) {
    throw UsageError("--steps " + std::to_string(o.steps) + ": " + o.batch_order + " has only " +
                     std::to_string(batches.size()) + " lines");
  }
  if (o.steps > 0) batches.resize(o.steps);
  std::vector<FileRole> outputs;
  for (const char* f :
       {"losses.txt", "grads0.safetensors", "params.safetensors", "logits.safetensors"}) {
    outputs.push_back({"--out", o.out + "/" + f});
  }
  refuse_overwriting_inputs({{"--init", o.init},
                             {"--batch-order", o.batch_order},
                             {"--data", o.data.data},
                             {"--test-data", o.data.test_data}},
                            outputs);
  make_dirs(o.out);

  StepRunner runner(net, o.threads);
  Sgd<float> sgd(net.num_params(), o.sgd);
  // Test batch: the first m test samples. xt: (m, input), logits: (m, k).
  const int m = std::min(o.test_batch, data.test.size());
  std::vector<int> test_idx(m), yt(m);
  std::iota(test_idx.begin(), test_idx.end(), 0);
  std::vector<float> xt(m * data.test.sample_size()), logits0(m * k), logits1(m * k);
  gather_batch(data.test, test_idx.data(), m, xt.data(), yt.data());
  runner.predict(xt.data(), m, logits0.data());

  std::string losses;
  double first_loss = NAN, last_loss = NAN;
  std::vector<float> xb, grads0;
  std::vector<int> yb;
  for (size_t step = 0; step < batches.size(); ++step) {
    const auto& idx = batches[step];
    const int n = static_cast<int>(idx.size());
    xb.resize(n * data.train.sample_size());
    yb.resize(n);
    gather_batch(data.train, idx.data(), n, xb.data(), yb.data());
    const double loss = runner.loss_and_grad(xb.data(), yb.data(), n);
    if (step == 0) {
      grads0.assign(runner.grads(), runner.grads() + net.num_params());
      first_loss = loss;
    }
    last_loss = loss;
    sgd.step(net.params(), runner.grads());
    char line[32];
    std::snprintf(line, sizeof line, "%.9e\n", loss);
    losses += line;
  }
  runner.predict(xt.data(), m, logits1.data());

  const std::string dir = o.out + "/";
  write_file_atomic(dir + "losses.txt", losses);
  write_safetensors(dir + "grads0.safetensors", as_tensors(net, grads0.data()));
  save_model(dir + "params.safetensors", net);
  SafeTensors lg;
  lg.tensors = {{"init", {m, k}, logits0}, {"final", {m, k}, logits1}};
  write_safetensors(dir + "logits.safetensors", lg);
  std::printf("replay: %zu steps of %s; loss %.6f -> %.6f; wrote %s\n", batches.size(),
              net.arch().c_str(), first_loss, last_loss, o.out.c_str());
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
       sub.add_option("--lr", o->sgd.lr, "learning rate")->capture_default_str();
       sub.add_option("--momentum", o->sgd.momentum, "SGD momentum")->capture_default_str();
       sub.add_option("--weight-decay", o->sgd.weight_decay, "L2 weight decay")
           ->capture_default_str();
       sub.add_flag("--nesterov", o->sgd.nesterov, "Nesterov momentum");
       sub.add_option("--test-batch", o->test_batch, "test samples whose logits are written")
           ->capture_default_str();
       add_threads_option(sub, o->threads, "threads")->capture_default_str();
       sub.add_option("--out", o->out, "folder for the outputs")->required();
       return [o] { return run(*o); };
     }}};

}  // namespace
}  // namespace handgrad::cli
