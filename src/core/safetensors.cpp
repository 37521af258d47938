// safetensors reader and writer (F32 and I64), validated as strictly as the
// reference implementation: a file either loads completely or is refused with
// one line naming the path and the problem.
//
// Layout: u64 little-endian N | N bytes of JSON, padded with spaces so the
// data starts 8-byte aligned | data. data_offsets are relative to the data.
#include "handgrad/core/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>

#include "handgrad/core/error.h"
#include "handgrad/core/files.h"

namespace handgrad {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

constexpr uint64_t kMaxHeader = 100u << 20;  // the reference reader's limit
constexpr int kMaxJsonDepth = 8;             // the format needs 3

// Deeply nested JSON would recurse in the parser; the format never nests
// beyond {name: {shape: [..]}}.
int json_depth(const std::string& s) {
  int depth = 0, worst = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      worst = std::max(worst, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return worst;
}

struct Entry {
  std::string name;
  Dims shape;
  uint64_t begin, end;
  DType dtype;
};

size_t item_size(DType t) {
  return t == DType::i64 ? 8 : 4;
}

// A non-negative integer no larger than `limit`, or an error naming `what`.
uint64_t to_count(const nlohmann::json& v, uint64_t limit, const std::string& what,
                  const std::string& path) {
  if (!v.is_number_integer()) throw Error(path + ": " + what + " is not an integer");
  if (!v.is_number_unsigned()) throw Error(path + ": " + what + " is negative");
  const uint64_t x = v.get<uint64_t>();
  if (x > limit) throw Error(path + ": " + what + " is too large (" + std::to_string(x) + ")");
  return x;
}

Entry parse_entry(const std::string& name, const nlohmann::json& t, uint64_t data_size,
                  const std::string& path) {
  const std::string where = "tensor '" + name + "'";
  if (!t.is_object()) throw Error(path + ": " + where + " is not a JSON object");
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!t.contains(key)) throw Error(path + ": " + where + " has no \"" + key + "\"");
  }
  const auto& dtype = t["dtype"];
  if (!dtype.is_string()) throw Error(path + ": " + where + " has a non-string dtype");
  const std::string dt = dtype.get<std::string>();
  if (dt != "F32" && dt != "I64") {
    throw Error(path + ": " + where + " has dtype " + dt + "; handgrad reads only F32 and I64");
  }
  const auto& shape = t["shape"];
  if (!shape.is_array()) throw Error(path + ": " + where + " has a shape that is not a list");
  Entry e{name, {}, 0, 0, dt == "I64" ? DType::i64 : DType::f32};
  const auto& off = t["data_offsets"];
  if (!off.is_array() || off.size() != 2) {
    throw Error(path + ": " + where + " data_offsets is not a [begin, end] pair");
  }
  const uint64_t limit = uint64_t(1) << 62;
  e.begin = to_count(off[0], limit, where + " data_offsets begin", path);
  e.end = to_count(off[1], limit, where + " data_offsets end", path);
  const std::string range = "[" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "]";
  if (e.end < e.begin) {
    throw Error(path + ": " + where + " data_offsets " + range + " end before begin");
  }
  if (e.end > data_size) {
    throw Error(path + ": " + where + " data_offsets " + range + " lie outside the " +
                std::to_string(data_size) + " bytes of data");
  }
  bool empty = false;
  for (const auto& d : shape) {
    e.shape.push_back(static_cast<int>(to_count(d, 1u << 30, where + " shape entry", path)));
    empty = empty || e.shape.back() == 0;
  }
  // Elements, computed so that elements * 8 cannot overflow.
  uint64_t elements = empty ? 0 : 1;
  for (const int d : e.shape) {
    if (empty) break;
    if (elements > (uint64_t(1) << 60) / static_cast<uint64_t>(d)) {
      throw Error(path + ": " + where + " shape " + dims_str(e.shape) + " is too large");
    }
    elements *= static_cast<uint64_t>(d);
  }
  const uint64_t bytes = elements * item_size(e.dtype);
  if (e.end - e.begin != bytes) {
    throw Error(path + ": " + where + " shape " + dims_str(e.shape) + " needs " +
                std::to_string(bytes) + " bytes of " + dt + " but data_offsets " + range +
                " hold " + std::to_string(e.end - e.begin));
  }
  return e;
}

}  // namespace

const NamedTensor* SafeTensors::find(const std::string& name) const {
  for (const auto& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

SafeTensors parse_safetensors(const std::string& bytes, const std::string& path) {
  if (bytes.size() < 8) {
    throw Error(path + ": not a safetensors file (" + std::to_string(bytes.size()) +
                " bytes, shorter than the 8-byte header length)");
  }
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  if (n > kMaxHeader) {
    throw Error(path + ": header length " + std::to_string(n) + " exceeds the 100 MB limit");
  }
  if (n > bytes.size() - 8) {
    throw Error(path + ": header length " + std::to_string(n) + " runs past the end of the " +
                std::to_string(bytes.size()) + "-byte file (truncated?)");
  }
  const std::string header = bytes.substr(8, n);
  if (json_depth(header) > kMaxJsonDepth) throw Error(path + ": header JSON is nested too deeply");
  const auto j = nlohmann::json::parse(header, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Error(path + ": header is not valid JSON");
  if (!j.is_object()) throw Error(path + ": header is not a JSON object");

  const uint64_t data_size = bytes.size() - 8 - n;
  SafeTensors st;
  std::vector<Entry> entries;
  for (const auto& [key, value] : j.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) throw Error(path + ": __metadata__ is not a JSON object");
      for (const auto& [mk, mv] : value.items()) {
        if (!mv.is_string()) throw Error(path + ": __metadata__ '" + mk + "' is not a string");
        st.metadata[mk] = mv.get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(key, value, data_size, path));
  }
  // The tensors must tile the data exactly: no overlaps, no gaps, no
  // trailing bytes (the reference reader refuses the same files).
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  uint64_t pos = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (e.begin < pos) {
      throw Error(path + ": tensor '" + e.name + "' data_offsets overlap tensor '" +
                  entries[i - 1].name + "'");
    }
    if (e.begin > pos) {
      throw Error(path + ": " + std::to_string(e.begin - pos) + " unused bytes before tensor '" +
                  e.name + "'");
    }
    pos = e.end;
  }
  if (pos != data_size) {
    throw Error(path + ": " + std::to_string(data_size - pos) +
                " bytes of data after the last tensor (truncated header or corrupt offsets?)");
  }
  const char* data = bytes.data() + 8 + n;
  for (const Entry& e : entries) {
    NamedTensor t{e.name, e.shape, {}, e.dtype};
    if (e.dtype == DType::i64) {
      t.ints.resize((e.end - e.begin) / 8);
      if (!t.ints.empty()) std::memcpy(t.ints.data(), data + e.begin, e.end - e.begin);
    } else {
      t.data.resize((e.end - e.begin) / 4);
      if (!t.data.empty()) std::memcpy(t.data.data(), data + e.begin, e.end - e.begin);
    }
    st.tensors.push_back(std::move(t));
  }
  return st;
}

SafeTensors read_safetensors(const std::string& path) {
  return parse_safetensors(read_file(path, size_t(1) << 33), path);
}

void write_safetensors(const std::string& path, const SafeTensors& st) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!st.metadata.empty()) header["__metadata__"] = st.metadata;
  uint64_t offset = 0;
  for (const auto& t : st.tensors) {
    if (t.name == "__metadata__" || header.contains(t.name)) {
      throw Error(path + ": duplicate or reserved tensor name '" + t.name + "'");
    }
    const bool i64 = t.dtype == DType::i64;
    if (numel(t.shape) != t.count() || (i64 ? !t.data.empty() : !t.ints.empty())) {
      throw Error(path + ": tensor '" + t.name + "' has shape " + dims_str(t.shape) + " but " +
                  std::to_string(t.count()) + " " + dtype_name(t.dtype) + " values");
    }
    const uint64_t bytes = t.count() * item_size(t.dtype);
    header[t.name] = {{"dtype", dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const uint64_t n = json.size();
  std::memcpy(out.data(), &n, 8);
  out += json;
  out.reserve(out.size() + offset);
  for (const auto& t : st.tensors) {
    if (t.dtype == DType::i64) {
      out.append(reinterpret_cast<const char*>(t.ints.data()), t.ints.size() * 8);
    } else {
      out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * 4);
    }
  }
  write_file_atomic(path, out);
}

}  // namespace handgrad
