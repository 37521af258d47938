#pragma once
// One training run of the lab: a training Session (train/session.h), the
// same steppable loop `handgrad train` runs, driven on a worker thread:
//   Session s(options); while (!s.finished()) { gate(); s.advance(); publish(s); } s.finish();
// gate() holds the loop between steps while the run is paused (and lets
// "step" through one step at a time); publish() hands the page what it
// shows. Pause, step, reset and stop all act between two advance() calls,
// so they change nothing in what is trained.
//
// States: "loading" (data and network being built), "paused", "playing",
// "finished", "stopped" (server shutdown or deleted), "error" (message).
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "handgrad/train/session.h"
#include "lab_settings.h"

namespace handgrad::lab {

// The network of a run at one step, for the views (boundary, units,
// predict) that the HTTP threads compute on their own copy of it: its
// parameters, its buffers and its input step, so the copy sees raw inputs
// exactly as the trained network does (network_from() in lab_views.h).
struct Snapshot {
  long step = -1;
  std::string arch;
  Dims input;
  std::vector<float> params, buffers;
  InputNorm norm;
};

class LabRun {
 public:
  // settings.options.out_dir must be set. Starts the worker thread.
  LabRun(std::string id, std::string client, RunSettings settings);
  ~LabRun();  // stop() and join
  LabRun(const LabRun&) = delete;
  LabRun& operator=(const LabRun&) = delete;

  const std::string& id() const { return id_; }
  const std::string& client() const { return client_; }
  const RunSettings& settings() const { return settings_; }
  const TrainOptions& options() const { return settings_.options; }

  // play | pause | step | reset; throws ApiError(400) for anything else and
  // (409) for play/step on a finished run. `steps`: how many for "step".
  void control(const std::string& action, long steps = 1);
  // At most this many steps a second while playing (0: as fast as it goes),
  // so a student can watch a 2-D run that would take 50 ms. Sleeping between
  // steps changes nothing in what is trained.
  void set_pace(double steps_per_second);
  // Ends training at the next step boundary; the worker finishes the file
  // it is writing. Idempotent; does not wait (the destructor does).
  void stop();

  // Events from index `from` on, as SSE "data:" payloads; waits up to
  // `timeout` for a new one. `ended` is true once the run can send no more.
  std::vector<std::string> events_since(size_t from, std::chrono::milliseconds timeout,
                                        bool& ended);
  nlohmann::json status() const;
  // The latest parameters; nullopt before the network exists.
  std::optional<Snapshot> snapshot() const;
  // Training points as the page draws them (data units), 2-D runs only.
  bool points(std::vector<Point>& train, std::vector<Point>& test) const;
  bool finished() const;
  // The run folder's final model and boundary picture (after "finished").
  std::string model_path() const { return settings_.options.out_dir + "/model.safetensors"; }

 private:
  void worker();
  void train_once();         // one Session from start to end (or Stopped / Reset)
  void started(Session& s);  // the network exists: first event, points, eval sets
  void stepped(Session& s);  // after a step: publish when due
  void publish(Session& s, bool evaluate_now);
  void gate();     // waits until a step may run; throws Stopped / Reset
  void restart();  // after a reset: back to "loading", counters cleared (mu_ held)
  nlohmann::json event_json(const char* kind) const;  // mu_ held
  void push_event(const char* kind);                  // mu_ held

  using Clock = std::chrono::steady_clock;
  const std::string id_, client_;
  const RunSettings settings_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // worker: play/step/stop; readers: new events
  std::string state_ = "loading", message_;
  bool playing_ = false, stop_ = false, reset_ = false;
  long step_allowance_ = 0;
  double pace_ = 0;
  Clock::time_point next_step_{};
  long step_ = 0, total_ = 0;
  double epoch_ = 0;
  double batch_loss_sum_ = 0;
  long batch_loss_n_ = 0;
  double batch_loss_ = NAN;
  double train_loss_ = NAN, train_acc_ = NAN, test_loss_ = NAN, test_acc_ = NAN;
  long eval_step_ = -1;
  double samples_per_second_ = 0;
  double last_train_seconds_ = 0;
  long last_samples_ = 0;
  std::vector<std::string> events_;
  Snapshot snap_;
  std::vector<Point> train_pts_, test_pts_;
  nlohmann::json result_;  // the TrainResult summary once finished

  // Worker-only state (no lock): the evaluation subsets and their cadence.
  Dataset eval_train_, eval_test_;
  Clock::time_point last_publish_{}, last_eval_{};
  double eval_cost_ = 0;

  std::thread thread_;
};

}  // namespace handgrad::lab
