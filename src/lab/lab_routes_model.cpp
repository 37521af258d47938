// What the page reads besides runs: the layer list, 2-D data sets, the
// models it can open, predictions with the per-layer backward pass, the
// confusion matrix and the test images behind its cells.
#include <algorithm>

#include "handgrad/data/data_source.h"
#include "handgrad/data/generators.h"
#include "handgrad/layers/loss.h"
#include "handgrad/pictures/image.h"
#include "lab_http.h"
#include "lab_layers.h"
#include "lab_probe.h"
#include "lab_routes.h"
#include "lab_views.h"

namespace handgrad::lab {

using httplib::Request;
using httplib::Response;
using nlohmann::json;

namespace {

// GET /api/data?data=moons&n=..&noise=..&data_seed=..&test_fraction=..: the
// points `handgrad train --data moons ...` trains and tests on.
void data_route(LabState& st, const Request& req, Response& res) {
  DataArgs a;
  a.data = req.has_param("data") ? req.get_param_value("data") : "moons";
  if (!is_generator(a.data)) throw ApiError(400, "data: not a 2-D generator", "data");
  a.n = int_param(req, "n", a.n, 2, st.options().caps.max_points);
  a.seed = static_cast<uint64_t>(int_param(req, "data_seed", 0, 0, 1 << 30));
  if (req.has_param("noise")) a.noise = std::atof(req.get_param_value("noise").c_str());
  if (req.has_param("test_fraction")) {
    a.test_fraction = std::atof(req.get_param_value("test_fraction").c_str());
  }
  if (!(a.noise < 10) || !(a.test_fraction > 0 && a.test_fraction < 1)) {
    throw ApiError(400, "noise must be < 10 and test_fraction in (0, 1)");
  }
  const TrainTest tt = load_data(a);
  const auto pts = [](const Dataset& d) {
    json out = json::array();
    for (int i = 0; i < d.size(); ++i) {
      out.push_back({d.sample(i)[0], d.sample(i)[1], d.y[static_cast<size_t>(i)]});
    }
    return out;
  };
  reply_json(res, {{"data", a.data},
                   {"classes", std::max(tt.train.num_classes, tt.test.num_classes)},
                   {"noise", a.noise >= 0 ? a.noise : default_noise(a.data)},
                   {"train", pts(tt.train)},
                   {"test", pts(tt.test)}});
}

// The model's raw input from the request (the network applies its own input
// step): "values" (e.g. a test image's pixels) or "image" {width, height, pixels in [0, 1],
// white on black} framed as `predict --fit` does.
std::vector<float> model_input(const json& b, const ModelRef& m, json& framed_out) {
  const Dims& in = m.snap->input;
  std::vector<float> x;
  if (b.contains("values")) {
    x = b["values"].get<std::vector<float>>();
  } else if (b.contains("image")) {
    if (in.size() != 3 || in[0] != 1) throw ApiError(400, "image: the model does not take images");
    const json& im = b["image"];
    GrayImage g;
    g.width = im.at("width").get<int>();
    g.height = im.at("height").get<int>();
    if (g.width < 1 || g.height < 1 || g.width > 1024 || g.height > 1024) {
      throw ApiError(400, "image: width and height must be in [1, 1024]", "image");
    }
    g.pixels = im.at("pixels").get<std::vector<float>>();
    if (g.pixels.size() != static_cast<size_t>(g.width) * g.height) {
      throw ApiError(400, "image: pixels must hold width * height values", "image");
    }
    for (float& p : g.pixels) p = std::clamp(std::isfinite(p) ? p : 0.0f, 0.0f, 1.0f);
    std::string fit = b.value("fit", "auto");
    if (fit == "auto") fit = m.data == "mnist" ? "mnist" : "stretch";
    if (fit != "mnist" && fit != "stretch")
      throw ApiError(400, "fit: mnist, stretch or auto", "fit");
    x = to_model_input(g, in[1], in[2], b.value("invert", false),
                       fit == "mnist" ? Fit::mnist : Fit::stretch);
    framed_out = {{"fit", fit}, {"pixels", x}};
  } else {
    throw ApiError(400, "give \"image\" or \"values\"");
  }
  if (x.size() != numel(in)) {
    throw ApiError(
        400, "values: " + std::to_string(x.size()) + " numbers, the model takes " + dims_str(in),
        "values");
  }
  return x;
}

void predict_route(LabState& st, const Request& req, Response& res) {
  const json b = body_json(req);
  const ModelRef m = st.model(b.value("model", "model"));
  json framed;
  std::vector<float> x = model_input(b, m, framed);
  const Network<float> net = network_from(*m.snap);
  json out = probe_json(net, x, b.value("target", -1), b.value("layers", false));
  out["model"] = m.id;
  out["step"] = m.snap->step;
  if (!framed.is_null()) out["framed"] = framed;
  reply_json(res, out);
}

// The confusion matrix of a model on its data's test split, with up to
// `per_cell` test indices of every off-diagonal cell.
void confusion_route(LabState& st, const Request& req, Response& res) {
  const json b = body_json(req);
  const ModelRef m = st.model(b.value("model", "model"));
  const std::string data = b.value("data", m.data);
  auto test = st.test_set(data);
  const Network<float> net = network_from(*m.snap);
  if (test->sample_dims != net.input_dims())
    throw ApiError(400, "data: does not fit the model", "data");
  const int k = net.num_classes(), per_cell = 40;
  const int n = std::min(test->size(), b.value("limit", test->size()));
  std::vector<std::vector<long>> conf(static_cast<size_t>(k),
                                      std::vector<long>(static_cast<size_t>(k)));
  std::map<std::string, std::vector<int>> cells;
  Workspace<float> ws;
  const size_t ss = test->sample_size();
  constexpr int kBatch = 256;
  std::vector<float> xb;
  long right = 0;
  for (int s = 0; s < n; s += kBatch) {
    const int nb = std::min(kBatch, n - s);
    xb.assign(test->sample(s), test->sample(s) + static_cast<size_t>(nb) * ss);
    const float* logits = net.forward(xb.data(), nb, ws);
    for (int i = 0; i < nb; ++i) {
      const float* l = logits + static_cast<size_t>(i) * k;
      const int p = static_cast<int>(std::max_element(l, l + k) - l);
      const int t = test->y[static_cast<size_t>(s + i)];
      if (t < 0 || t >= k) continue;
      ++conf[static_cast<size_t>(t)][static_cast<size_t>(p)];
      right += t == p;
      auto& cell = cells[std::to_string(t) + "," + std::to_string(p)];
      if (t != p && static_cast<int>(cell.size()) < per_cell) cell.push_back(s + i);
    }
  }
  json cj = json::object();
  for (auto& [key, v] : cells) {
    if (!v.empty()) cj[key] = v;
  }
  reply_json(res, {{"model", m.id},
                   {"data", data},
                   {"n", n},
                   {"classes", k},
                   {"accuracy", n > 0 ? static_cast<double>(right) / n : 0.0},
                   {"matrix", conf},
                   {"samples", cj},
                   {"step", m.snap->step}});
}

// GET /api/testimages?data=mnist&index=3,17: pixels as integers 0..255.
void testimages_route(LabState& st, const Request& req, Response& res) {
  auto test = st.test_set(req.has_param("data") ? req.get_param_value("data") : "mnist");
  const std::string list = req.get_param_value("index");
  json images = json::array();
  size_t pos = 0;
  while (pos < list.size() && images.size() < 200) {
    const size_t end = std::min(list.find(',', pos), list.size());
    char* stop = nullptr;
    const std::string item = list.substr(pos, end - pos);
    const long i = std::strtol(item.c_str(), &stop, 10);
    if (item.empty() || *stop || i < 0 || i >= test->size()) {
      throw ApiError(400, "index: '" + item + "' is not a test image index", "index");
    }
    std::vector<int> px(test->sample_size());
    for (size_t j = 0; j < px.size(); ++j)
      px[j] = static_cast<int>(std::lround(test->sample(static_cast<int>(i))[j] * 255));
    images.push_back({{"index", i},
                      {"label", test->y[static_cast<size_t>(i)]},
                      {"dims", test->sample_dims},
                      {"pixels", px}});
    pos = end + 1;
  }
  reply_json(res, {{"images", images}, {"count", test->size()}});
}

}  // namespace

void add_model_routes(httplib::Server& svr, LabState& st) {
  svr.Get("/api/layers",
          guarded([](const Request&, Response& res) { reply_json(res, layer_list()); }));
  svr.Get("/api/data",
          guarded([&st](const Request& req, Response& res) { data_route(st, req, res); }));
  svr.Get("/api/models", guarded([&st](const Request&, Response& res) {
            reply_json(res, {{"models", st.models_json()}});
          }));
  svr.Post("/api/models", guarded([&st](const Request& req, Response& res) {
             const json b = body_json(req);
             if (!b.contains("path") || !b["path"].is_string()) {
               throw ApiError(400, "path: a model under --data-dir", "path");
             }
             reply_json(res, {{"id", st.open_model(b["path"].get<std::string>())}}, 201);
           }));
  svr.Post("/api/predict",
           guarded([&st](const Request& req, Response& res) { predict_route(st, req, res); }));
  svr.Post("/api/confusion",
           guarded([&st](const Request& req, Response& res) { confusion_route(st, req, res); }));
  svr.Get("/api/testimages",
          guarded([&st](const Request& req, Response& res) { testimages_route(st, req, res); }));
}

}  // namespace handgrad::lab
