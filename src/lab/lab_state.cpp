#include "lab_state.h"

#include <filesystem>
#include <random>

#include "handgrad/core/files.h"
#include "handgrad/data/csv.h"
#include "handgrad/data/data_source.h"
#include "handgrad/model/model_file.h"
#include "lab_error.h"

namespace handgrad::lab {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string random_suffix() {
  std::random_device rd;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04x", static_cast<unsigned>(rd() & 0xffff));
  return buf;
}

Dataset points_dataset(const std::vector<Point>& pts, const std::string& name) {
  Dataset d;
  d.name = name;
  d.sample_dims = {2};
  int k = 0;
  for (const Point& p : pts) {
    d.x.push_back(p[0]);
    d.x.push_back(p[1]);
    d.y.push_back(static_cast<int>(p[2]));
    k = std::max(k, static_cast<int>(p[2]) + 1);
  }
  d.num_classes = k;
  return d;
}

}  // namespace

LabState::LabState(const LabOptions& o) : o_(o) {}

std::shared_ptr<LabRun> LabState::create_run(const json& settings, const std::string& client) {
  SettingsContext ctx{o_.data_dir, o_.caps};
  RunSettings s = parse_run_settings(settings, ctx);
  std::string id;
  {
    std::lock_guard lk(mu_);
    if (stopping) throw ApiError(503, "the lab is shutting down");
    int mine = 0, images = 0;
    for (const auto& [rid, slot] : runs_) {
      mine += slot.client == client;
      images += slot.image_data;
    }
    if (static_cast<int>(runs_.size()) >= o_.max_runs) {
      throw ApiError(429, "the lab has " + std::to_string(runs_.size()) +
                              " runs, its cap; delete one first (DELETE /api/runs/ID)");
    }
    if (mine >= o_.max_runs_per_client) {
      throw ApiError(429, "this client has " + std::to_string(mine) +
                              " runs, the cap per client; delete one first");
    }
    if (s.image_data && images >= o_.max_image_runs) {
      throw ApiError(429,
                     "at most " + std::to_string(o_.max_image_runs) +
                         " MNIST-sized runs at once (each holds its data set); delete one first");
    }
    id = "r" + std::to_string(next_run_++) + "-" + random_suffix();
    // Reserve the id with an empty slot so the caps hold while the folder is made.
    runs_[id] = {client, s.image_data, nullptr};
  }
  try {
    const std::string dir = fs::absolute(run_dir(id)).lexically_normal().string();
    make_dirs(dir);
    if (!s.train_points.empty()) {
      write_csv(dir + "/train.csv", points_dataset(s.train_points, "train"));
      write_csv(dir + "/test.csv", points_dataset(s.test_points, "test"));
      s.options.data.data = dir + "/train.csv";
      s.options.data.test_data = dir + "/test.csv";
    }
    s.options.out_dir = dir + "/run";
    auto run = std::make_shared<LabRun>(id, client, std::move(s));
    std::lock_guard lk(mu_);
    runs_[id].run = run;
    return run;
  } catch (...) {
    std::lock_guard lk(mu_);
    runs_.erase(id);
    throw;
  }
}

std::shared_ptr<LabRun> LabState::find_run(const std::string& id) const {
  std::lock_guard lk(mu_);
  const auto it = runs_.find(id);
  if (it == runs_.end() || !it->second.run) throw ApiError(404, "no run '" + id + "'");
  return it->second.run;
}

void LabState::delete_run(const std::string& id) {
  std::shared_ptr<LabRun> run;
  {
    std::lock_guard lk(mu_);
    const auto it = runs_.find(id);
    if (it == runs_.end() || !it->second.run) throw ApiError(404, "no run '" + id + "'");
    run = std::move(it->second.run);
    runs_.erase(it);
  }
  run->stop();  // the last owner (this or an open stream) joins its thread
}

std::vector<std::shared_ptr<LabRun>> LabState::runs() const {
  std::lock_guard lk(mu_);
  std::vector<std::shared_ptr<LabRun>> out;
  for (const auto& [id, slot] : runs_) {
    if (slot.run) out.push_back(slot.run);
  }
  return out;
}

void LabState::stop_all() {
  std::map<std::string, Slot> all;
  {
    std::lock_guard lk(mu_);
    stopping = true;
    all.swap(runs_);
  }
  for (auto& [id, slot] : all) {
    if (slot.run) slot.run->stop();
  }
  all.clear();  // joins the workers not held by a stream
}

ModelRef LabState::model(const std::string& id) const {
  if (id.rfind("run:", 0) == 0) {
    const auto run = find_run(id.substr(4));
    auto snap = run->snapshot();
    if (!snap) throw ApiError(409, "run " + id.substr(4) + " has no network yet (still loading)");
    return {id, "run " + id.substr(4), run->options().data.data,
            std::make_shared<const Snapshot>(std::move(*snap))};
  }
  std::lock_guard lk(mu_);
  const auto it = models_.find(id);
  if (it == models_.end()) throw ApiError(404, "no model '" + id + "'");
  return it->second;
}

json LabState::models_json() const {
  json out = json::array();
  std::lock_guard lk(mu_);
  for (const auto& [id, m] : models_) {
    out.push_back({{"id", id},
                   {"label", m.label},
                   {"data", m.data},
                   {"arch", m.snap->arch},
                   {"input", m.snap->input}});
  }
  for (const auto& [id, slot] : runs_) {
    if (!slot.run) continue;
    out.push_back({{"id", "run:" + id},
                   {"label", "run " + id},
                   {"data", slot.run->options().data.data},
                   {"input", slot.run->settings().input}});
  }
  return out;
}

void LabState::open_model_file(const std::string& path, const std::string& id,
                               const std::string& label) {
  LoadedModel m = load_model(path);
  auto snap = std::make_shared<Snapshot>();
  snap->step = 0;
  snap->arch = m.net.arch();
  snap->input = m.net.input_dims();
  snap->params.assign(m.net.params(), m.net.params() + m.net.num_params());
  snap->buffers.assign(m.net.buffers(), m.net.buffers() + m.net.num_buffers());
  snap->norm = m.net.input_norm();  // load_model() read it from the metadata
  const auto d = m.metadata.find("data");
  std::lock_guard lk(mu_);
  models_[id] = {id, label, d == m.metadata.end() ? "" : d->second, snap};
}

std::string LabState::open_model(const std::string& relative) {
  if (o_.data_dir.empty()) throw ApiError(404, "the lab was started without --data-dir");
  std::error_code ec;
  const fs::path root = fs::canonical(o_.data_dir, ec);
  if (ec) throw ApiError(404, "--data-dir is not readable");
  fs::path p = fs::weakly_canonical(root / relative, ec);
  const std::string rs = root.string() + "/", ps = p.string();
  if (ec || relative.empty() || fs::path(relative).is_absolute() || ps.rfind(rs, 0) != 0) {
    throw ApiError(404, "path: not a file under the lab's --data-dir", "path");
  }
  if (fs::is_directory(p, ec)) p /= "model.safetensors";
  if (!fs::is_regular_file(p, ec) || p.extension() != ".safetensors") {
    throw ApiError(404, "path: no .safetensors model there", "path");
  }
  std::string id;
  {
    std::lock_guard lk(mu_);
    if (models_.size() >= 16) throw ApiError(429, "at most 16 open models");
    id = "file-" + std::to_string(models_.size() + 1);
  }
  try {
    open_model_file(p.string(), id, relative);
  } catch (const ApiError&) {
    throw;
  } catch (const Error& e) {
    throw ApiError(400, std::string("path: ") + e.what(), "path");
  }
  return id;
}

std::shared_ptr<const Dataset> LabState::test_set(const std::string& name) {
  if (name != "mnist" && name != "fashion-mnist") {
    throw ApiError(400, "data: the confusion matrix and test images need mnist or fashion-mnist",
                   "data");
  }
  std::lock_guard load(data_mu_);
  {
    std::lock_guard lk(mu_);
    const auto it = test_sets_.find(name);
    if (it != test_sets_.end()) return it->second;
  }
  DataArgs a;
  a.data = name;
  std::error_code ec;
  if (!o_.data_dir.empty() && fs::is_directory(fs::path(o_.data_dir) / name, ec)) {
    a.data_dir = (fs::path(o_.data_dir) / name).string();
  }
  std::shared_ptr<const Dataset> test;
  try {
    test = std::make_shared<const Dataset>(load_data(a).test);
  } catch (const Error& e) {
    throw ApiError(404, std::string("data: ") + e.what(), "data");
  }
  std::lock_guard lk(mu_);
  test_sets_[name] = test;
  return test;
}

}  // namespace handgrad::lab
