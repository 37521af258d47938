// OnnxGraph -> onnx::ModelProto -> bytes, with Debian's libprotobuf and the
// ONNX schema compiled in libonnx (libonnx-dev). Without them (HANDGRAD_HAVE_ONNX
// unset) this file only says so.
#include "export/onnx_graph.h"
#include "handgrad/core/error.h"

#if HANDGRAD_HAVE_ONNX
#include <google/protobuf/stubs/common.h>
#include <onnx/checker.h>
#include <onnx/common/version.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <cstring>
#endif

namespace handgrad {

#if HANDGRAD_HAVE_ONNX
namespace {

void set_attr(onnx::AttributeProto& a, const OnnxAttr& attr) {
  a.set_name(attr.name);
  std::visit(
      [&a](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, int64_t>) {
          a.set_type(onnx::AttributeProto::INT);
          a.set_i(v);
        } else if constexpr (std::is_same_v<V, float>) {
          a.set_type(onnx::AttributeProto::FLOAT);
          a.set_f(v);
        } else if constexpr (std::is_same_v<V, std::vector<int64_t>>) {
          a.set_type(onnx::AttributeProto::INTS);
          for (int64_t x : v) a.add_ints(x);
        } else if constexpr (std::is_same_v<V, std::vector<float>>) {
          a.set_type(onnx::AttributeProto::FLOATS);
          for (float x : v) a.add_floats(x);
        } else {
          a.set_type(onnx::AttributeProto::STRING);
          a.set_s(v);
        }
      },
      attr.value);
}

void set_value(onnx::ValueInfoProto& vi, const OnnxValue& v) {
  vi.set_name(v.name);
  auto* t = vi.mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : v.dims) {
    auto* dim = t->mutable_shape()->add_dim();
    if (d < 0) {
      dim->set_dim_param("N");
    } else {
      dim->set_dim_value(d);
    }
  }
}

// Little-endian float32 bytes in raw_data (x86-64 and every platform
// handgrad builds on are little-endian).
void set_initializer(onnx::TensorProto& t, const OnnxInitializer& in) {
  t.set_name(in.name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : in.dims) t.add_dims(d);
  std::string raw(in.data.size() * sizeof(float), '\0');
  if (!raw.empty()) std::memcpy(raw.data(), in.data.data(), raw.size());
  t.set_raw_data(std::move(raw));
}

void fill_graph(onnx::GraphProto& gp, const OnnxGraph& g) {
  gp.set_name(g.name);
  gp.set_doc_string(g.doc);
  set_value(*gp.add_input(), g.input);
  for (const OnnxValue& v : g.outputs) set_value(*gp.add_output(), v);
  for (const OnnxInitializer& in : g.initializers) set_initializer(*gp.add_initializer(), in);
  for (const OnnxNode& n : g.nodes) {
    auto* np = gp.add_node();
    np->set_op_type(n.op);
    np->set_name(n.outputs.empty() ? n.op : n.outputs.front());
    for (const std::string& s : n.inputs) np->add_input(s);
    for (const std::string& s : n.outputs) np->add_output(s);
    for (const OnnxAttr& a : n.attrs) set_attr(*np->add_attribute(), a);
  }
}

onnx::ModelProto to_proto(const OnnxGraph& g) {
  onnx::ModelProto m;
  m.set_ir_version(kOnnxIrVersion);
  m.set_producer_name("handgrad");
  m.set_producer_version(HANDGRAD_VERSION);
  m.set_model_version(1);
  m.set_doc_string(g.doc);
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(g.opset);
  for (const auto& [k, v] : g.metadata) {
    auto* p = m.add_metadata_props();
    p->set_key(k);
    p->set_value(v);
  }
  fill_graph(*m.mutable_graph(), g);
  return m;
}

}  // namespace

std::string serialize_onnx(const OnnxGraph& g, const std::string& where) {
  onnx::ModelProto m = to_proto(g);
  try {
    onnx::checker::check_model(m);
    // Strict: a node whose shapes do not work out is an error, and the
    // declared output shapes must agree with the inferred ones.
    onnx::ModelProto inferred = m;
    onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(true, 1, false));
  } catch (const std::exception& e) {
    throw Error(where + ": the ONNX checker refuses the exported graph: " + e.what());
  }
  std::string bytes;
  if (!m.SerializeToString(&bytes)) throw Error(where + ": cannot serialise the ONNX model");
  return bytes;
}

bool onnx_export_available() {
  return true;
}

std::string onnx_export_info() {
  return "yes (opsets " + std::to_string(kOnnxMinOpset) + "-" + std::to_string(kOnnxMaxOpset) +
         ", default " + std::to_string(kOnnxDefaultOpset) + "; protobuf " +
         google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION) + ", onnx " +
         onnx::LAST_RELEASE_VERSION + ")";
}

#else

std::string serialize_onnx(const OnnxGraph&, const std::string&) {
  throw Error("export: this handgrad was built without ONNX support");
}

bool onnx_export_available() {
  return false;
}

std::string onnx_export_info() {
  return "no (built without libprotobuf-dev and libonnx-dev)";
}

#endif

}  // namespace handgrad
