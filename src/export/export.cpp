// export_onnx(): model -> checked ONNX bytes -> an atomically written file.
#include "export/onnx_graph.h"
#include "handgrad/core/error.h"
#include "handgrad/core/files.h"

namespace handgrad {

void check_onnx_options(const OnnxExportOptions& o) {
  if (o.opset < kOnnxMinOpset || o.opset > kOnnxMaxOpset) {
    throw FieldError("opset", std::to_string(o.opset) + " is outside the supported " +
                     std::to_string(kOnnxMinOpset) + ".." + std::to_string(kOnnxMaxOpset));
  }
  if (o.batch < 0 || o.batch > (int64_t{1} << 31)) {
    throw FieldError("batch", std::to_string(o.batch) +
                     " is not 'dynamic' or a batch size from 1 to 2^31");
  }
}

void export_onnx(const LoadedModel& model, const std::string& where, const std::string& out_path,
                 const OnnxExportOptions& o) {
  check_onnx_options(o);
  if (!onnx_export_available()) {
    throw Error("export: this handgrad was built without ONNX support");
  }
  const OnnxGraph g = build_onnx_graph(model.net, model.metadata, o, where);
  write_file_atomic(out_path, serialize_onnx(g, where));
}

}  // namespace handgrad
