// handgrad eval: a saved model's accuracy, loss and confusion matrix on a
// test set (by default the data it was trained on, from its metadata).
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "command.h"
#include "data_flags.h"
#include "handgrad/core/cpu.h"
#include "handgrad/core/error.h"
#include "handgrad/layers/loss.h"
#include "handgrad/model/model_file.h"
#include "handgrad/model/pass_size.h"
#include "handgrad/train/evaluate.h"
#include "handgrad/train/step_runner.h"
#include "handgrad/train/trainer.h"
#include "int_flags.h"

namespace handgrad::cli {
namespace {

struct Opts {
  std::string model;
  DataArgs data;
  CLI::Option* data_opt = nullptr;
  const CLI::App* sub = nullptr;
  std::string logits;
  int threads = 0, test_limit = 0;
  bool json = false;
};

// --logits FILE: the raw test inputs (the network applies its own input
// step, as an exported ONNX model does), the labels and the logits, so
// that another runtime can be compared number for number.
//   input (n, input_dims), label (n) as float, logits (n, classes)
void write_logits(const std::string& path, StepRunner& runner, const LoadedModel& m,
                  const Dataset& raw) {
  const size_t n = static_cast<size_t>(raw.size()), f = raw.sample_size();
  const int k = m.net.num_classes();
  std::vector<float> logits(n * static_cast<size_t>(k));
  const size_t chunk = static_cast<size_t>(samples_per_pass(m.net, 500));
  for (size_t i = 0; i < n; i += chunk) {
    const int b = static_cast<int>(std::min(chunk, n - i));
    runner.predict(raw.x.data() + i * f, b, logits.data() + i * static_cast<size_t>(k));
  }
  SafeTensors st;
  st.metadata = {{"data", raw.name}, {"arch", m.net.arch()}};
  Dims in{static_cast<int>(n)};
  for (int d : m.net.input_dims()) in.push_back(d);
  st.tensors.push_back({"input", in, raw.x});
  st.tensors.push_back(
      {"label", {static_cast<int>(n)}, std::vector<float>(raw.y.begin(), raw.y.end())});
  st.tensors.push_back({"logits", {static_cast<int>(n), k}, std::move(logits)});
  write_safetensors(path, st);
}

int run(const Opts& o) {
  LoadedModel m = load_model(o.model);
  // Without --data: the model's own data (generators keep their n/noise/
  // seed unless given).
  const DataArgs args = o.data_opt->count() > 0
                            ? resolve_data_flags(*o.sub, o.data, DataFrom::kFlags)
                            : resolve_data_flags(*o.sub, o.data, DataFrom::kModel,
                                                 data_args_from_metadata(m.metadata));
  TrainTest data = load_data(args);
  Dataset& test = data.test;
  if (o.test_limit > 0 && o.test_limit < test.size()) {
    test.y.resize(static_cast<size_t>(o.test_limit));
    test.x.resize(static_cast<size_t>(o.test_limit) * test.sample_size());
  }
  // Flat samples (a CSV) feed an image network of the same size, as in train.
  if (test.sample_dims.size() == 1 && m.net.input_dims().size() > 1 &&
      numel(test.sample_dims) == numel(m.net.input_dims())) {
    test.sample_dims = m.net.input_dims();
  }
  check_data_fits(m.net, test, o.model + " on " + test.name);
  if (const std::string w = single_class_warning(test); !w.empty()) {
    std::fprintf(stderr, "handgrad: warning: %s\n", w.c_str());
  }
  StepRunner runner(m.net, o.threads > 0 ? o.threads : default_threads());
  // The test loss is the loss the model was trained with, as in training.
  const LossDef& loss = find_loss(loss_from_metadata(m.metadata));
  runner.set_loss(loss);
  const EvalResult r = evaluate(runner, m.net, test);
  if (!o.logits.empty()) write_logits(o.logits, runner, m, test);
  long correct = 0;
  for (size_t i = 0; i < r.confusion.size(); ++i) correct += r.confusion[i][i];
  std::printf("%s on %s: test accuracy %.4f (%ld/%d), test loss %.4f (%s)\n", o.model.c_str(),
              test.name.c_str(), r.accuracy, correct, r.n, r.loss, loss.title.c_str());
  std::printf("confusion matrix (rows: true class, columns: predicted):\n%s",
              format_confusion(r.confusion).c_str());
  if (o.json) {
    const nlohmann::json j{
        {"test_accuracy", r.accuracy}, {"test_loss", r.loss}, {"n", r.n},
        {"data", test.name},           {"model", o.model},    {"confusion", r.confusion}};
    std::printf("%s\n", j.dump().c_str());
  }
  return 0;
}

const Register reg{
    {"eval", "Evaluate a saved model: accuracy, loss, confusion matrix", [](CLI::App& sub) {
       auto o = std::make_shared<Opts>();
       sub.add_option("--model", o->model, "model.safetensors")->required();
       o->data_opt = add_data_flags(sub, o->data);
       o->sub = &sub;
       sub.add_option("--test-limit", o->test_limit, "evaluate on the first N test samples")
           ->check(whole<int>(0));
       add_threads_option(sub, o->threads, "worker threads (default: all cores)");
       sub.add_flag("--json", o->json, "JSON summary as the last line");
       sub.add_option("--logits", o->logits,
                      "also write the raw test inputs, labels and logits (safetensors)");
       return [o] { return run(*o); };
     }}};

}  // namespace
}  // namespace handgrad::cli
