// A lab run: a training Session on a worker thread, stepped, held and watched
// between its steps.
#include "lab_run.h"

#include <algorithm>
#include <cmath>

#include "handgrad/core/error.h"
#include "handgrad/train/evaluate.h"
#include "lab_error.h"

namespace handgrad::lab {

using nlohmann::json;

namespace {

// Thrown by gate() to leave the loop at a step boundary.
struct Stopped {};
struct Reset {};

constexpr auto kPublishEvery = std::chrono::milliseconds(50);  // events: at most 20 a second
constexpr auto kEvalEvery = std::chrono::milliseconds(200);    // live evaluations: at most 5
constexpr size_t kMaxEvents = 200000;

// The first `limit` samples: the live curves' evaluation set.
Dataset head(const Dataset& d, int limit) {
  Dataset out;
  out.name = d.name;
  out.sample_dims = d.sample_dims;
  out.num_classes = d.num_classes;
  const int n = std::min(limit, d.size());
  out.x.assign(d.x.begin(), d.x.begin() + static_cast<long>(n * d.sample_size()));
  out.y.assign(d.y.begin(), d.y.begin() + n);
  return out;
}

// The points of a 2-D data set, as the page draws them: raw, as the
// network takes them (its input step is inside it).
std::vector<Point> points_of(const Dataset& d) {
  std::vector<Point> out;
  if (d.sample_dims != Dims{2}) return out;
  out.reserve(static_cast<size_t>(d.size()));
  for (int i = 0; i < d.size(); ++i) {
    out.push_back(
        {d.sample(i)[0], d.sample(i)[1], static_cast<float>(d.y[static_cast<size_t>(i)])});
  }
  return out;
}

json result_json(const TrainResult& r) {
  json relu = json::array();
  for (const auto& d : r.relu) {
    relu.push_back({{"layer", d.layer}, {"what", d.what}, {"dead", d.dead}, {"total", d.total}});
  }
  return {{"test_accuracy", r.test_accuracy},
          {"test_loss", r.test_loss},
          {"steps", r.steps},
          {"samples_per_second", r.samples_per_second},
          {"train_seconds", r.train_seconds},
          {"confusion", r.confusion},
          {"dead_relu", relu},
          {"warnings", r.warnings}};
}

}  // namespace

LabRun::LabRun(std::string id, std::string client, RunSettings settings)
    : id_(std::move(id)), client_(std::move(client)), settings_(std::move(settings)) {
  playing_ = settings_.play;
  pace_ = settings_.pace;
  thread_ = std::thread([this] { worker(); });
}

LabRun::~LabRun() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void LabRun::stop() {
  std::lock_guard lk(mu_);
  stop_ = true;
  cv_.notify_all();
}

void LabRun::worker() {
  for (;;) {
    try {
      train_once();
    } catch (const Stopped&) {
      std::lock_guard lk(mu_);
      state_ = "stopped";
      push_event("stopped");
      return;
    } catch (const Reset&) {
      std::lock_guard lk(mu_);
      restart();
      continue;
    } catch (const std::exception& e) {
      // A setting the library refuses is named by its field, as in the API's errors.
      const auto* f = dynamic_cast<const FieldError*>(&e);
      std::lock_guard lk(mu_);
      state_ = "error";
      playing_ = false;
      message_ = f ? f->field() + ": " + e.what() : e.what();
      push_event("error");
    }
    // Finished or failed: wait for a reset (train again) or the end.
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return stop_ || reset_; });
    if (stop_) {
      state_ = "stopped";
      push_event("stopped");
      return;
    }
    restart();
  }
}

void LabRun::restart() {
  reset_ = false;
  state_ = "loading";
  step_ = 0;
  epoch_ = 0;
  batch_loss_sum_ = 0;
  batch_loss_n_ = 0;
  train_loss_ = train_acc_ = test_loss_ = test_acc_ = batch_loss_ = NAN;
  eval_step_ = -1;
  samples_per_second_ = 0;
  last_samples_ = 0;
  last_train_seconds_ = 0;
  result_ = json();
  push_event("reset");
}

// `handgrad train`'s loop (train() in trainer.cpp), held between steps.
void LabRun::train_once() {
  Session s(settings_.options);
  started(s);
  while (!s.finished()) {
    gate();
    s.advance();
    stepped(s);
  }
  const TrainResult r = s.finish();
  std::lock_guard lk(mu_);
  state_ = "finished";
  playing_ = false;
  result_ = result_json(r);
  push_event("finished");
}

void LabRun::started(Session& s) {
  {
    std::lock_guard lk(mu_);
    if (stop_) throw Stopped{};
    if (reset_) throw Reset{};
    state_ = playing_ ? "playing" : "paused";
    step_ = s.step();
    snap_.arch = s.network().arch();
    snap_.input = s.network().input_dims();
    snap_.norm = s.network().input_norm();
    train_pts_ = points_of(s.data().train);
    test_pts_ = points_of(s.data().test);
    total_ = s.total_steps();
  }
  const int limit = settings_.image_data ? 1000 : 10000;
  eval_train_ = head(s.data().train, limit);
  eval_test_ = head(s.data().test, limit);
  last_eval_ = {};
  publish(s, true);
  last_publish_ = Clock::now();
}

void LabRun::stepped(Session& s) {
  const auto now = Clock::now();
  bool hold = false;
  {
    std::lock_guard lk(mu_);
    step_ = s.step();
    epoch_ =
        s.data().train.size() > 0 ? static_cast<double>(s.samples()) / s.data().train.size() : 0;
    batch_loss_sum_ += s.last_loss();
    ++batch_loss_n_;
    hold = !playing_ && step_allowance_ == 0;
  }
  const bool last = s.finished();
  if (hold || last || now - last_publish_ >= kPublishEvery) {
    const auto every = std::max<Clock::duration>(
        kEvalEvery,
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(4 * eval_cost_)));
    publish(s, hold || last || now - last_eval_ >= every);
    last_publish_ = now;
  }
}

void LabRun::publish(Session& s, bool evaluate_now) {
  const Network<float>& net = s.network();
  EvalResult tr, te;
  if (evaluate_now) {
    // The library's own evaluation, on the session's own runner (this thread).
    const auto t0 = Clock::now();
    tr = evaluate(s.runner(), net, eval_train_);
    if (eval_test_.size() > 0) te = evaluate(s.runner(), net, eval_test_);
    last_eval_ = Clock::now();
    eval_cost_ = std::chrono::duration<double>(last_eval_ - t0).count();
  }
  std::vector<float> params(net.params(), net.params() + net.num_params());
  std::vector<float> buffers(net.buffers(), net.buffers() + net.num_buffers());
  std::lock_guard lk(mu_);
  snap_.params = std::move(params);
  snap_.buffers = std::move(buffers);
  snap_.step = s.step();
  if (evaluate_now) {
    train_loss_ = tr.loss;
    train_acc_ = tr.accuracy;
    test_loss_ = eval_test_.size() > 0 ? te.loss : NAN;
    test_acc_ = eval_test_.size() > 0 ? te.accuracy : NAN;
    eval_step_ = s.step();
  }
  if (batch_loss_n_ > 0) batch_loss_ = batch_loss_sum_ / batch_loss_n_;
  batch_loss_sum_ = 0;
  batch_loss_n_ = 0;
  const double dt = s.train_seconds() - last_train_seconds_;
  if (dt > 0) samples_per_second_ = (s.samples() - last_samples_) / dt;
  last_train_seconds_ = s.train_seconds();
  last_samples_ = s.samples();
  push_event("progress");
}

void LabRun::gate() {
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return stop_ || reset_ || playing_ || step_allowance_ > 0; });
    if (stop_) throw Stopped{};
    if (reset_) throw Reset{};
    if (!playing_) {
      --step_allowance_;  // "step": one of the steps asked for
      return;
    }
    if (pace_ <= 0) return;
    // Hold the pace; a pause, reset or stop ends the wait early.
    const auto now = Clock::now();
    if (next_step_ < now - std::chrono::milliseconds(100)) next_step_ = now;
    cv_.wait_until(lk, next_step_, [&] { return stop_ || reset_ || !playing_; });
    if (stop_) throw Stopped{};
    if (reset_) throw Reset{};
    if (!playing_) continue;  // paused while waiting: no step
    next_step_ +=
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / pace_));
    return;
  }
}

void LabRun::set_pace(double steps_per_second) {
  if (!(steps_per_second >= 0 && steps_per_second <= 1e9)) {
    throw ApiError(400, "pace: steps per second, >= 0 (0: as fast as it goes)", "pace");
  }
  std::lock_guard lk(mu_);
  pace_ = steps_per_second;
  cv_.notify_all();
}

void LabRun::control(const std::string& action, long steps) {
  std::lock_guard lk(mu_);
  const bool done = state_ == "finished" || state_ == "error" || state_ == "stopped";
  if (action == "reset") {
    reset_ = true;
    playing_ = false;
    step_allowance_ = 0;
  } else if (action == "pause") {
    playing_ = false;
    step_allowance_ = 0;
    if (!done && state_ != "loading") state_ = "paused";
  } else if (action == "play" || action == "step") {
    if (done) throw ApiError(409, "the run is " + state_ + "; reset it to train again");
    if (action == "play") {
      playing_ = true;
      if (state_ != "loading") state_ = "playing";
    } else {
      if (steps < 1 || steps > 1000000) {
        throw ApiError(400, "steps: must be an integer in [1, 1000000]", "steps");
      }
      playing_ = false;
      step_allowance_ = std::min(step_allowance_ + steps, 1000000L);
      if (state_ != "loading") state_ = "paused";
    }
  } else {
    throw ApiError(400, "action: must be play, pause, step or reset, got '" + action + "'",
                   "action");
  }
  push_event("state");
  cv_.notify_all();
}

json LabRun::event_json(const char* kind) const {
  json e = {{"kind", kind},
            {"id", id_},
            {"state", state_},
            {"step", step_},
            {"total", total_},
            {"epoch", epoch_},
            {"batch_loss", batch_loss_},
            {"train_loss", train_loss_},
            {"train_accuracy", train_acc_},
            {"test_loss", test_loss_},
            {"test_accuracy", test_acc_},
            {"eval_step", eval_step_},
            {"samples_per_second", samples_per_second_},
            {"pace", pace_}};
  if (!message_.empty()) e["message"] = message_;
  if (!result_.is_null()) e["result"] = result_;
  return e;
}

void LabRun::push_event(const char* kind) {
  if (events_.size() >= kMaxEvents && std::string(kind) == "progress") return;
  json e = event_json(kind);
  e["seq"] = events_.size();
  events_.push_back(e.dump());
  cv_.notify_all();
}

std::vector<std::string> LabRun::events_since(size_t from, std::chrono::milliseconds timeout,
                                              bool& ended) {
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, timeout, [&] { return events_.size() > from || state_ == "stopped"; });
  ended = state_ == "stopped" && events_.size() <= from;
  std::vector<std::string> out;
  for (size_t i = from; i < events_.size(); ++i) out.push_back(events_[i]);
  return out;
}

json LabRun::status() const {
  std::lock_guard lk(mu_);
  json s = event_json("status");
  s["events"] = events_.size();
  return s;
}

std::optional<Snapshot> LabRun::snapshot() const {
  std::lock_guard lk(mu_);
  if (snap_.step < 0) return std::nullopt;
  return snap_;
}

bool LabRun::points(std::vector<Point>& train, std::vector<Point>& test) const {
  std::lock_guard lk(mu_);
  if (snap_.step < 0 || snap_.input != Dims{2}) return false;
  train = train_pts_;
  test = test_pts_;
  return true;
}

bool LabRun::finished() const {
  std::lock_guard lk(mu_);
  return state_ == "finished";
}

}  // namespace handgrad::lab
