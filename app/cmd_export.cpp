// handgrad export: a saved model as an ONNX file (include/handgrad/onnx_export.h).
#include <cstdio>
#include <filesystem>

#include "command.h"
#include "handgrad/core/error.h"
#include "handgrad/export/onnx.h"
#include "handgrad/model/model_file.h"

namespace handgrad::cli {
namespace {

struct Opts {
  std::string model, out, batch = "dynamic";
  int opset = kOnnxDefaultOpset;
};

int64_t parse_batch(const std::string& s) {
  if (s == "dynamic") return 0;
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != s.size() || s.empty() || v < 1) {
    throw UsageError("--batch: '" + s + "' is not 'dynamic' or a positive batch size");
  }
  return v;
}

std::string shape(int64_t batch, const Dims& d) {
  std::string s = batch > 0 ? std::to_string(batch) : "N";
  for (int v : d) s += "x" + std::to_string(v);
  return s;
}

int run(const Opts& o) {
  OnnxExportOptions opt;
  opt.opset = o.opset;
  opt.batch = parse_batch(o.batch);
  check_onnx_options(opt);
  if (!onnx_export_available()) {
    throw Error("export: this handgrad was built without ONNX support (install libprotobuf-dev " +
                std::string("and libonnx-dev, then rebuild)"));
  }
  const LoadedModel m = load_model(o.model);
  std::error_code ec;
  if (std::filesystem::equivalent(o.model, o.out, ec)) {
    throw UsageError("--out: " + o.out + " is the model file itself");
  }
  export_onnx(m, o.model, o.out, opt);
  const auto bytes = std::filesystem::file_size(o.out);
  std::printf(
      "%s -> %s: opset %d, input 'input' %s, outputs 'logits' and 'probabilities' %s "
      "(%s), %.1f KiB\n",
      o.model.c_str(), o.out.c_str(), opt.opset, shape(opt.batch, m.net.input_dims()).c_str(),
      shape(opt.batch, {m.net.num_classes()}).c_str(), m.net.arch().c_str(),
      static_cast<double>(bytes) / 1024.0);
  return 0;
}

const Register reg{
    {"export", "Write a saved model as an ONNX file (for ONNX Runtime & co.)", [](CLI::App& sub) {
       auto o = std::make_shared<Opts>();
       sub.add_option("--model", o->model, "model.safetensors")->required();
       sub.add_option("--out", o->out, "the .onnx file to write")->required();
       sub.add_option(
              "--opset", o->opset,
              "ONNX opset, " + std::to_string(kOnnxMinOpset) + ".." + std::to_string(kOnnxMaxOpset))
           ->capture_default_str();
       sub.add_option("--batch", o->batch, "the input's batch dimension: dynamic or a fixed size")
           ->capture_default_str();
       return [o] { return run(*o); };
     }}};

}  // namespace
}  // namespace handgrad::cli
