#pragma once
// `handgrad export`: a saved model as an ONNX graph in evaluation mode, its
// input normalisation folded in, so an ONNX runtime given the raw input
// handgrad's eval/predict take computes the same logits. Code: src/export/.
//   input          "input"          (N, C, H, W) or (N, F), float32
//   outputs        "logits"         (N, classes)
//                  "probabilities"  (N, classes), Softmax of the logits
//   metadata_props the model file's metadata (arch, input, training, ...)
// N is the symbolic dimension "N" unless a fixed batch is asked for.
#include <cstdint>
#include <string>

#include "handgrad/model/model_file.h"

namespace handgrad {

// 13: Softmax's per-axis form and the current Gemm/Conv/MaxPool signatures;
// 17: the newest opset Debian's onnx 1.12 checker knows (ONNX Runtime reads
// all of them).
inline constexpr int kOnnxMinOpset = 13;
inline constexpr int kOnnxMaxOpset = 17;
inline constexpr int kOnnxDefaultOpset = 17;
// The IR version onnx 1.12 writes; valid for every opset above.
inline constexpr int64_t kOnnxIrVersion = 8;

struct OnnxExportOptions {
  int opset = kOnnxDefaultOpset;
  int64_t batch = 0;  // 0: dynamic ("N"); otherwise the fixed batch size
};

// FieldError naming opset or batch when out of range.
void check_onnx_options(const OnnxExportOptions& o);

// False when this handgrad was built without libprotobuf/libonnx.
bool onnx_export_available();
// One line for `handgrad info`: the libraries used, or why there are none.
std::string onnx_export_info();

// Builds, checks (onnx's checker and strict shape inference, in process) and
// writes the model atomically. `where` names the model in errors. Throws
// Error naming a layer without a lowering, a non-finite parameter, or a
// graph the checker refuses; nothing is written then.
void export_onnx(const LoadedModel& model, const std::string& where, const std::string& out_path,
                 const OnnxExportOptions& o);

}  // namespace handgrad
