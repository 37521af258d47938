// safetensors: exact byte layout, round trips, every kind of malformed file
// refused with one line naming the path, and a file PyTorch can load.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "handgrad/model/presets.h"
#include "handgrad/core/error.h"
#include "handgrad/core/files.h"
#include "handgrad/model/model_file.h"

namespace fs = std::filesystem;
using namespace handgrad;

namespace {

std::string tmp_path(const std::string& name) {
  const fs::path d = fs::path(::testing::TempDir()) / ("hg_st_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return (d / name).string();
}

uint64_t header_len(const std::string& bytes) {
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  return n;
}

// A file with this header text (no padding added) and `data_bytes` bytes of data.
std::string make_file(const std::string& header, size_t data_bytes) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + std::string(data_bytes, '\0');
}

// Parses and expects an Error whose single line names the path and `needle`.
void expect_refused(const std::string& bytes, const std::string& needle) {
  const std::string path = "bad/file.safetensors";
  try {
    parse_safetensors(bytes, path);
    FAIL() << "accepted a file that should fail with: " << needle;
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

SafeTensors sample() {
  SafeTensors st;
  st.metadata = {{"arch", "linear(2)"}, {"note", "héllo \"quoted\""}};
  st.tensors.push_back({"0.weight", {2, 3}, {1, -2, 3.5f, 1e-30f, -0.0f, 7}});
  st.tensors.push_back({"0.bias", {2}, {0.25f, -8}});
  st.tensors.push_back({"scalar", {}, {42}});
  st.tensors.push_back({"empty", {0, 5}, {}});
  return st;
}

TEST(SafeTensors, ByteLayoutIsTheFormat) {
  const std::string p = tmp_path("layout.safetensors");
  write_safetensors(p, sample());
  const std::string bytes = read_file(p);
  const uint64_t n = header_len(bytes);
  EXPECT_EQ((8 + n) % 8, 0u) << "data must start 8-byte aligned";
  const std::string header = bytes.substr(8, n);
  EXPECT_EQ(header.front(), '{');
  const size_t last = header.find_last_not_of(' ');
  EXPECT_EQ(header[last], '}');
  const auto j = nlohmann::json::parse(header);
  EXPECT_EQ(j["__metadata__"]["arch"], "linear(2)");
  EXPECT_EQ(j["0.weight"]["dtype"], "F32");
  EXPECT_EQ(j["0.weight"]["shape"], nlohmann::json({2, 3}));
  EXPECT_EQ(j["0.weight"]["data_offsets"], nlohmann::json({0, 24}));
  EXPECT_EQ(j["0.bias"]["data_offsets"], nlohmann::json({24, 32}));
  EXPECT_EQ(j["scalar"]["shape"], nlohmann::json::array());
  EXPECT_EQ(j["scalar"]["data_offsets"], nlohmann::json({32, 36}));
  EXPECT_EQ(j["empty"]["data_offsets"], nlohmann::json({36, 36}));
  ASSERT_EQ(bytes.size(), 8 + n + 36);
  float w[6];
  std::memcpy(w, bytes.data() + 8 + n, sizeof w);
  EXPECT_EQ(w[2], 3.5f);
  EXPECT_EQ(w[3], 1e-30f);
  EXPECT_TRUE(std::signbit(w[4]));
}

TEST(SafeTensors, RoundTripIsExact) {
  const std::string p = tmp_path("round.safetensors");
  const SafeTensors a = sample();
  write_safetensors(p, a);
  const SafeTensors b = read_safetensors(p);
  EXPECT_EQ(b.metadata, a.metadata);
  ASSERT_EQ(b.tensors.size(), a.tensors.size());
  for (const auto& t : a.tensors) {
    const NamedTensor* u = b.find(t.name);
    ASSERT_NE(u, nullptr) << t.name;
    EXPECT_EQ(u->shape, t.shape) << t.name;
    ASSERT_EQ(u->data.size(), t.data.size());
    EXPECT_EQ(u->data, t.data) << t.name;
  }
  EXPECT_EQ(b.find("nope"), nullptr);
  // Sorted by offset, as written.
  EXPECT_EQ(b.tensors[0].name, "0.weight");
  EXPECT_EQ(b.tensors[1].name, "0.bias");
}

TEST(SafeTensors, WriterRefusesInconsistentTensors) {
  SafeTensors st;
  st.tensors.push_back({"a", {2, 2}, {1, 2, 3}});
  EXPECT_THROW(write_safetensors(tmp_path("w1.safetensors"), st), Error);
  st.tensors = {{"a", {1}, {1}}, {"a", {1}, {2}}};
  EXPECT_THROW(write_safetensors(tmp_path("w2.safetensors"), st), Error);
  EXPECT_FALSE(fs::exists(tmp_path("w1.safetensors")));
}

TEST(SafeTensors, RefusesMalformedHeaders) {
  const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_NO_THROW(parse_safetensors(make_file(ok, 8), "x"));

  expect_refused("", "shorter than the 8-byte header length");
  expect_refused(std::string(5, '\0'), "shorter than the 8-byte header length");
  std::string past = make_file(ok, 8);
  past[0] = static_cast<char>(0xff);  // N = 255 + ..., beyond the file
  expect_refused(past, "past the end");
  std::string huge = make_file(ok, 8);
  huge[7] = 0x7f;  // N ~ 9e18
  expect_refused(huge, "100 MB");
  huge = make_file(ok, 8);
  huge[3] = 0x10;  // N = 256 MiB + ...
  expect_refused(huge, "100 MB");
  expect_refused(make_file(ok, 8).substr(0, 30), "past the end");  // truncated header

  expect_refused(make_file(R"({"a":{"dtype":"F32",)", 0), "not valid JSON");
  expect_refused(make_file("\xff\xfe", 0), "not valid JSON");
  expect_refused(make_file("[1,2]", 0), "not a JSON object");
  expect_refused(make_file(std::string(200, '[') + std::string(200, ']'), 0), "nested");
  expect_refused(make_file(R"({"a":[1]})", 0), "'a' is not a JSON object");
  expect_refused(make_file(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", 8), "no \"dtype\"");
  expect_refused(make_file(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", 8), "no \"shape\"");
  expect_refused(make_file(R"({"a":{"dtype":"F32","shape":[2]}})", 8), "no \"data_offsets\"");
  expect_refused(make_file(R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", 4),
                 "dtype F16");
  expect_refused(make_file(R"({"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})", 4),
                 "BF16");
  expect_refused(make_file(R"({"a":{"dtype":7,"shape":[2],"data_offsets":[0,8]}})", 8),
                 "non-string dtype");
  // Shape and offsets disagree.
  expect_refused(make_file(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 12),
                 "needs 12 bytes");
  expect_refused(make_file(R"({"a":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})", 8),
                 "not a list");
  expect_refused(make_file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8),
                 "negative");
  expect_refused(make_file(R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8),
                 "not an integer");
  expect_refused(make_file(R"({"a":{"dtype":"F32","shape":[1073741824,1073741824,1073741824],)"
                           R"("data_offsets":[0,8]}})",
                           8),
                 "too large");
  // Offsets outside the data, reversed, negative, not a pair.
  expect_refused(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4),
                 "outside");
  expect_refused(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8),
                 "end before begin");
  expect_refused(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", 8),
                 "negative");
  expect_refused(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8), "pair");
  expect_refused(
      make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551615]}})", 8),
      "too large");
  // Overlaps, gaps and trailing bytes.
  expect_refused(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                           R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                           12),
                 "overlap");
  expect_refused(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8),
                 "unused bytes before tensor 'a'");
  expect_refused(make_file(ok, 12), "4 bytes of data after the last tensor");
  // Metadata must map strings to strings.
  expect_refused(make_file(R"({"__metadata__":{"classes":10}})", 0), "'classes' is not a string");
  expect_refused(make_file(R"({"__metadata__":[]})", 0), "__metadata__ is not a JSON object");
}

TEST(SafeTensors, ReadFileErrorsNameThePath) {
  const std::string p = tmp_path("missing.safetensors");
  try {
    read_safetensors(p);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(p), std::string::npos);
  }
}

Network<float> seed_cnn(uint64_t seed) {
  const Preset& p = find_preset("seed-cnn");
  Network<float> net(p.arch, p.input);
  net.init(seed);
  return net;
}

TEST(SafeTensors, ModelRoundTrip) {
  const std::string p = tmp_path("model.safetensors");
  const Network<float> a = seed_cnn(3);
  save_model(p, a, {{"lr", "0.01"}, {"arch", "overridden?"}});
  const LoadedModel m = load_model(p);
  EXPECT_EQ(m.net.arch(), a.arch());
  EXPECT_EQ(m.net.input_dims(), a.input_dims());
  ASSERT_EQ(m.net.num_params(), a.num_params());
  EXPECT_EQ(std::memcmp(m.net.params(), a.params(), a.num_params() * 4), 0);
  EXPECT_EQ(m.metadata.at("arch"), a.arch());  // the real architecture wins
  EXPECT_EQ(m.metadata.at("input"), "1x28x28");
  EXPECT_EQ(m.metadata.at("classes"), "10");
  EXPECT_EQ(m.metadata.at("handgrad_version"), HANDGRAD_VERSION);
  EXPECT_EQ(m.metadata.at("lr"), "0.01");
  // PyTorch nn.Sequential state_dict names.
  const SafeTensors st = read_safetensors(p);
  for (const char* name :
       {"0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias"}) {
    EXPECT_NE(st.find(name), nullptr) << name;
  }
  EXPECT_EQ(st.tensors.size(), 8u);
  EXPECT_EQ(st.find("7.weight")->shape, (Dims{128, 128}));
}

void expect_load_error(const std::function<void()>& f, const std::vector<std::string>& needles) {
  try {
    f();
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const auto& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(SafeTensors, LoadParamsNamesTensorAndShapes) {
  const std::string p = tmp_path("params.safetensors");
  Network<float> net = seed_cnn(1);
  save_model(p, net);
  const SafeTensors good = read_safetensors(p);

  SafeTensors missing = good;
  missing.tensors.erase(missing.tensors.begin() + 2);  // 3.weight
  expect_load_error([&] { load_params(missing, net, p); }, {p, "'3.weight'", "missing", "8x4x5x5"});

  SafeTensors wrong = good;
  for (auto& t : wrong.tensors) {
    if (t.name == "9.weight") t.shape = {5, 256};
  }
  expect_load_error([&] { load_params(wrong, net, p); }, {p, "'9.weight'", "5x256", "10x128"});

  SafeTensors extra = good;
  extra.tensors.push_back({"11.weight", {1}, {0}});
  expect_load_error([&] { load_params(extra, net, p); }, {p, "'11.weight'", "not a parameter"});

  // A model file saved for another architecture.
  const Preset& mlp = find_preset("seed-mlp");
  Network<float> other(mlp.arch, mlp.input);
  expect_load_error([&] { load_params(good, other, p); }, {p, "'1.weight'", "missing"});

  Network<float> fresh = seed_cnn(2);
  load_params(good, fresh, p);
  EXPECT_EQ(std::memcmp(fresh.params(), net.params(), net.num_params() * 4), 0);
}

TEST(SafeTensors, LoadModelNeedsMetadata) {
  const std::string p = tmp_path("bare.safetensors");
  SafeTensors st;
  st.tensors.push_back({"0.weight", {10, 2}, std::vector<float>(20)});
  write_safetensors(p, st);
  expect_load_error([&] { load_model(p); }, {p, "\"arch\""});
  st.metadata = {{"arch", "linear(10"}, {"input", "2"}};
  write_safetensors(p, st);
  expect_load_error([&] { load_model(p); }, {p, "arch"});
  st.metadata = {{"arch", "linear(10)"}, {"input", "2"}, {"classes", "3"}};
  write_safetensors(p, st);
  expect_load_error([&] { load_model(p); }, {p, "3 classes"});
  st.metadata = {{"arch", "linear(10)"}, {"input", "2"}, {"classes", "10"}};
  write_safetensors(p, st);
  expect_load_error([&] { load_model(p); }, {p, "'0.bias'", "missing"});
  st.tensors.push_back({"0.bias", {10}, std::vector<float>(10, 1.5f)});
  write_safetensors(p, st);
  EXPECT_EQ(load_model(p).net.params()[20], 1.5f);
}

// I64 tensors (batch norm's num_batches_tracked): 8 bytes each, exact.
TEST(SafeTensors, Int64RoundTripAndSizeCheck) {
  const std::string p = tmp_path("i64.safetensors");
  SafeTensors st;
  st.tensors.push_back({"w", {2}, {1.5f, -2}});
  st.tensors.push_back({"count", {}, {}, DType::i64, {int64_t{1} << 40}});
  write_safetensors(p, st);
  const std::string bytes = read_file(p);
  const auto j = nlohmann::json::parse(bytes.substr(8, header_len(bytes)));
  EXPECT_EQ(j["count"]["dtype"], "I64");
  EXPECT_EQ(j["count"]["data_offsets"], nlohmann::json({8, 16}));
  const SafeTensors b = read_safetensors(p);
  ASSERT_NE(b.find("count"), nullptr);
  EXPECT_EQ(b.find("count")->dtype, DType::i64);
  EXPECT_EQ(b.find("count")->ints, std::vector<int64_t>{int64_t{1} << 40});
  EXPECT_TRUE(b.find("count")->data.empty());
  EXPECT_EQ(b.find("w")->dtype, DType::f32);
  expect_refused(make_file(R"({"a":{"dtype":"I64","shape":[2],"data_offsets":[0,8]}})", 8),
                 "needs 16 bytes of I64");
}

// A batch-norm model: running statistics saved as buffers, the count as I64
// under PyTorch's names; load_model restores all of them.
TEST(SafeTensors, BatchNormModelRoundTrip) {
  const std::string p = tmp_path("bn.safetensors");
  Network<float> net("conv(3,3) batchnorm relu flatten linear(2)", {1, 6, 6});
  net.init(3);
  for (size_t i = 0; i < net.num_buffers(); ++i) net.buffers()[i] = 0.25f * static_cast<float>(i);
  net.buffers()[net.find_param("1.num_batches_tracked").offset] = 1234;
  save_model(p, net);
  const SafeTensors st = read_safetensors(p);
  for (const char* name : {"1.weight", "1.bias", "1.running_mean", "1.running_var"}) {
    ASSERT_NE(st.find(name), nullptr) << name;
    EXPECT_EQ(st.find(name)->dtype, DType::f32);
  }
  ASSERT_NE(st.find("1.num_batches_tracked"), nullptr);
  EXPECT_EQ(st.find("1.num_batches_tracked")->shape, Dims{});
  EXPECT_EQ(st.find("1.num_batches_tracked")->ints, std::vector<int64_t>{1234});
  const LoadedModel m = load_model(p);
  EXPECT_EQ(std::vector<float>(m.net.buffers(), m.net.buffers() + m.net.num_buffers()),
            std::vector<float>(net.buffers(), net.buffers() + net.num_buffers()));
  // The count as F32 is refused, naming the tensor and both dtypes.
  SafeTensors bad = st;
  for (auto& t : bad.tensors) {
    if (t.name == "1.num_batches_tracked") t = {t.name, {}, {1234.0f}};
  }
  write_safetensors(p, bad);
  expect_load_error([&] { load_model(p); }, {p, "'1.num_batches_tracked'", "F32", "I64"});
}

// PyTorch reads the file (with json + numpy, as the safetensors package
// does) into the matching nn.Sequential with strict load_state_dict.
TEST(SafeTensors, LoadsIntoPyTorchSequential) {
  if (std::system("/usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 has no torch";
  }
  const std::string p = tmp_path("torch.safetensors");
  const std::string script = tmp_path("load.py");
  const Network<float> net = seed_cnn(5);
  save_model(p, net);
  write_file_atomic(script, R"PY(
import json, struct, sys, numpy as np, torch, torch.nn as nn
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
sd = {}
for name, t in header.items():
    if name == '__metadata__':
        continue
    b, e = t['data_offsets']
    sd[name] = torch.from_numpy(np.frombuffer(data[b:e], dtype='<f4').reshape(t['shape']).copy())
m = nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 8, 5), nn.ReLU(),
                  nn.MaxPool2d(2), nn.Flatten(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
m.load_state_dict(sd, strict=True)
print(header['__metadata__']['arch'])
for k, v in m.state_dict().items():
    print(k, '%.9g' % v.double().sum().item())
)PY");
  FILE* f = ::popen(("/usr/bin/python3 " + script + " " + p + " 2>&1").c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, f)) out += buf;
  ASSERT_EQ(::pclose(f), 0) << out;
  std::string expected = net.arch() + "\n";
  for (const auto& pi : net.param_info()) {
    double sum = 0;
    for (size_t i = 0; i < pi.size; ++i) sum += net.params()[pi.offset + i];
    char line[128];
    std::snprintf(line, sizeof line, "%s %.9g\n", pi.name.c_str(), sum);
    expected += line;
  }
  EXPECT_EQ(out, expected);
}

// A batch-norm model file goes into the nn.Sequential that reference/arch.py
// builds with one strict load_state_dict (the I64 count included), and in
// evaluation mode gives handgrad's logits.
TEST(SafeTensors, BatchNormModelLoadsIntoPyTorch) {
  if (std::system("/usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 has no torch";
  }
  const std::string p = tmp_path("bn_torch.safetensors"), xs = tmp_path("bn_x.safetensors");
  Network<float> net("conv(3,3) batchnorm relu dropout(0.5) flatten linear(2)", {1, 6, 6});
  net.init(4);
  for (size_t i = 0; i < net.num_buffers(); ++i) net.buffers()[i] = 0.5f + 0.125f * (i % 5);
  net.buffers()[net.find_param("1.num_batches_tracked").offset] = 7;
  save_model(p, net);
  std::vector<float> x(3 * 36);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i));
  Workspace<float> ws;
  const float* logits = net.forward(x.data(), 3, ws);
  SafeTensors io;
  io.tensors.push_back({"x", {3, 1, 6, 6}, x});
  io.tensors.push_back({"logits", {3, 2}, {logits, logits + 6}});
  write_safetensors(xs, io);
  const std::string script = tmp_path("bn_load.py");
  write_file_atomic(script, R"PY(
import os, sys, numpy as np, torch
sys.path.insert(0, os.path.join(sys.argv[3], 'reference'))
import arch, safetensors_np
sd, meta = safetensors_np.load(sys.argv[1])
m = arch.build(meta['arch'], arch.parse_dims(meta['input']))
m.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()}, strict=True)
m.eval()
io, _ = safetensors_np.load(sys.argv[2])
with torch.no_grad():
    out = m(torch.from_numpy(io['x'])).numpy()
print(m[1].num_batches_tracked.dtype, int(m[1].num_batches_tracked))
print('%.3g' % float(np.max(np.abs(out - io['logits']))))
)PY");
  const std::string cmd = "HANDGRAD_BIN=" + std::string(HANDGRAD_BIN) + " /usr/bin/python3 " +
                          script + " " + p + " " + xs + " " + HANDGRAD_SOURCE_DIR + " 2>&1";
  FILE* f = ::popen(cmd.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, f)) out += buf;
  ASSERT_EQ(::pclose(f), 0) << out;
  ASSERT_EQ(out.rfind("torch.int64 7\n", 0), 0u) << out;
  EXPECT_LT(std::stod(out.substr(out.find('\n') + 1)), 1e-5) << out;
}

}  // namespace
