// /api/runs: a run's life (create, control, delete), its live events and what
// the playground draws from it, and its exports.
#include <filesystem>
#include <mutex>
#include <tuple>

#include "handgrad/core/files.h"
#include "handgrad/model/model_file.h"
#include "handgrad/pictures/boundary_plot.h"
#include "handgrad/train/model_proba.h"
#include "lab_http.h"
#include "lab_routes.h"
#include "lab_views.h"

namespace handgrad::lab {

using httplib::Request;
using httplib::Response;
using nlohmann::json;

namespace {

constexpr auto kStreamPoll = std::chrono::milliseconds(250);
// Exports write a file (atomically, through "<path>.tmp.<pid>"): one at a time.
std::mutex export_mu;

json run_json(const LabRun& r) {
  json j = r.status();
  j["client"] = r.client();
  j["data"] = r.options().data.data;
  j["arch"] = r.options().arch.empty() ? r.options().preset : r.options().arch;
  j["command"] = train_command(r.options(), "runs/lab-" + r.id());
  j["image_data"] = r.settings().image_data;
  j["input"] = r.settings().input;
  j["num_params"] = r.settings().num_params;
  return j;
}

void send_file(Response& res, const std::string& path, const char* mime, const std::string& name) {
  res.set_content(read_file(path, size_t(1) << 30), mime);
  res.set_header("Content-Disposition", "attachment; filename=\"" + name + "\"");
  res.set_header("Cache-Control", "no-store");
}

// 2-D runs only: the snapshot network and the drawing window.
struct PlaneView {
  Snapshot snap;
  std::vector<Point> train, test;
  DataWindow window;
};
PlaneView plane_view(const LabRun& run) {
  PlaneView v;
  auto snap = run.snapshot();
  if (!snap) throw ApiError(409, "the run has no network yet (still loading)");
  if (!run.points(v.train, v.test)) throw ApiError(409, "the run's inputs are not 2-D points");
  v.snap = std::move(*snap);
  v.window = points_window(v.train, v.test);
  return v;
}

void events_route(LabState& st, const Request& req, Response& res) {
  auto run = st.find_run(req.matches[1]);
  if (st.streams.fetch_add(1) >= st.options().max_streams) {
    st.streams.fetch_sub(1);
    throw ApiError(429, "too many open event streams (at most " +
                            std::to_string(st.options().max_streams) + ")");
  }
  auto cursor = std::make_shared<size_t>(0);
  auto idle = std::make_shared<int>(0);
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [&st, run, cursor, idle](size_t, httplib::DataSink& sink) {
        if (st.stopping) {
          sink.done();
          return true;
        }
        bool ended = false;
        const auto events = run->events_since(*cursor, kStreamPoll, ended);
        for (const std::string& e : events) {
          const std::string msg = "id: " + std::to_string((*cursor)++) + "\ndata: " + e + "\n\n";
          if (!sink.write(msg.data(), msg.size())) return false;
        }
        // A comment every ~5 s finds clients that went away.
        if (events.empty() && ++*idle >= 20) {
          *idle = 0;
          if (!sink.write(": ping\n\n", 8)) return false;
        }
        if (ended) sink.done();
        return true;
      },
      [&st](bool) { st.streams.fetch_sub(1); });
}

void model_export(LabState& st, const Request& req, Response& res) {
  auto run = st.find_run(req.matches[1]);
  if (run->finished()) {
    send_file(res, run->model_path(), "application/octet-stream", "model.safetensors");
    return;
  }
  // Mid-run: the current network (its input step included), as a model file of its own.
  auto snap = run->snapshot();
  if (!snap) throw ApiError(409, "the run has no network yet (still loading)");
  Network<float> net = network_from(*snap);
  std::map<std::string, std::string> meta = {{"data", run->options().data.data},
                                             {"lab_step", std::to_string(snap->step)}};
  const std::string path = st.run_dir(run->id()) + "/export-model.safetensors";
  std::lock_guard lk(export_mu);
  save_model(path, net, meta);
  send_file(res, path, "application/octet-stream", "model.safetensors");
}

void boundary_png(LabState& st, const Request& req, Response& res) {
  auto run = st.find_run(req.matches[1]);
  const std::string done = run->options().out_dir + "/boundary.png";
  std::error_code ec;
  if (run->finished() && std::filesystem::exists(done, ec)) {
    send_file(res, done, "image/png", "boundary.png");
    return;
  }
  PlaneView v = plane_view(*run);
  Network<float> net = network_from(v.snap);
  Dataset train, test;
  for (auto [set, pts, name] : {std::tuple{&train, &v.train, "train"}, {&test, &v.test, "test"}}) {
    set->name = name;
    set->sample_dims = {2};
    for (const Point& p : *pts) {
      set->x.insert(set->x.end(), {p[0], p[1]});
      set->y.push_back(static_cast<int>(p[2]));
    }
    set->num_classes = net.num_classes();
  }
  BoundaryPlot p;
  p.title = (run->options().arch.empty() ? run->options().preset : std::string("custom")) + " on " +
            std::filesystem::path(run->options().data.data).filename().string() + ", seed " +
            std::to_string(run->options().seed) + " (lab, step " + std::to_string(v.snap.step) +
            ")";
  p.classes = net.num_classes();
  p.train = &train;
  p.test = &test;
  const std::string path = st.run_dir(run->id()) + "/export-boundary.png";
  std::lock_guard lk(export_mu);
  write_boundary_plot(path, p, network_proba(net));
  send_file(res, path, "image/png", "boundary.png");
}

}  // namespace

void add_run_routes(httplib::Server& svr, LabState& st) {
  svr.Post("/api/runs", guarded([&st](const Request& req, Response& res) {
             auto run = st.create_run(body_json(req), client_of(req));
             json j = run_json(*run);
             j["id"] = run->id();
             reply_json(res, j, 201);
           }));
  svr.Get("/api/runs", guarded([&st](const Request&, Response& res) {
            json all = json::array();
            for (const auto& r : st.runs()) all.push_back(run_json(*r));
            reply_json(res, {{"runs", all}});
          }));
  svr.Get(R"(/api/runs/([A-Za-z0-9-]+))", guarded([&st](const Request& req, Response& res) {
            reply_json(res, run_json(*st.find_run(req.matches[1])));
          }));
  const auto del = guarded([&st](const Request& req, Response& res) {
    st.delete_run(req.matches[1]);
    reply_json(res, {{"deleted", std::string(req.matches[1])}});
  });
  svr.Delete(R"(/api/runs/([A-Za-z0-9-]+))", del);
  svr.Post(R"(/api/runs/([A-Za-z0-9-]+)/delete)", del);
  svr.Post(R"(/api/runs/([A-Za-z0-9-]+)/control)",
           guarded([&st](const Request& req, Response& res) {
             auto run = st.find_run(req.matches[1]);
             const json b = body_json(req);
             if (!b.contains("action") || !b["action"].is_string()) {
               throw ApiError(400, "action: give play, pause, step or reset", "action");
             }
             long steps = 1;
             if (b.contains("steps")) {
               if (!b["steps"].is_number_integer())
                 throw ApiError(400, "steps: an integer", "steps");
               steps = b["steps"].get<long>();
             }
             if (b.contains("pace")) {
               if (!b["pace"].is_number()) throw ApiError(400, "pace: a number", "pace");
               run->set_pace(b["pace"].get<double>());
             }
             run->control(b["action"].get<std::string>(), steps);
             reply_json(res, run->status());
           }));
  svr.Get(R"(/api/runs/([A-Za-z0-9-]+)/events)",
          guarded([&st](const Request& req, Response& res) { events_route(st, req, res); }));
  svr.Get(R"(/api/runs/([A-Za-z0-9-]+)/command)", guarded([&st](const Request& req, Response& res) {
            auto run = st.find_run(req.matches[1]);
            const std::string out = "runs/lab-" + run->id();
            reply_json(res, {{"command", train_command(run->options(), out)},
                             {"args", train_args(run->options(), out)}});
          }));
  svr.Get(R"(/api/runs/([A-Za-z0-9-]+)/points)", guarded([&st](const Request& req, Response& res) {
            PlaneView v = plane_view(*st.find_run(req.matches[1]));
            reply_json(res, {{"train", v.train},
                             {"test", v.test},
                             {"window",
                              {{"x0", v.window.x0},
                               {"x1", v.window.x1},
                               {"y0", v.window.y0},
                               {"y1", v.window.y1}}}});
          }));
  svr.Get(R"(/api/runs/([A-Za-z0-9-]+)/boundary)",
          guarded([&st](const Request& req, Response& res) {
            PlaneView v = plane_view(*st.find_run(req.matches[1]));
            const int n = int_param(req, "res", 50, 2, 400);
            json j = boundary_json(network_from(v.snap), v.window, n);
            j["step"] = v.snap.step;
            reply_json(res, j);
          }));
  svr.Get(R"(/api/runs/([A-Za-z0-9-]+)/view)", guarded([&st](const Request& req, Response& res) {
            PlaneView v = plane_view(*st.find_run(req.matches[1]));
            const int n = int_param(req, "res", 50, 2, 200);
            const int u = int_param(req, "units", 16, 2, 64);
            json j = view_json(network_from(v.snap), v.train, v.window, n, u);
            j["step"] = v.snap.step;
            reply_json(res, j);
          }));
  svr.Get(R"(/api/runs/([A-Za-z0-9-]+)/model\.safetensors)",
          guarded([&st](const Request& req, Response& res) { model_export(st, req, res); }));
  svr.Get(R"(/api/runs/([A-Za-z0-9-]+)/boundary\.png)",
          guarded([&st](const Request& req, Response& res) { boundary_png(st, req, res); }));
}

}  // namespace handgrad::lab
