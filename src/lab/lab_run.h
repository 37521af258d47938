#pragma once
// One training run of the lab, and the one seam between the lab and the
// library's training code: the run is `handgrad train`'s own loop,
// handgrad::train(options, hook), on a worker thread; the hook, called
// before the first step and after every step, publishes what the page
// shows and holds the loop while the run is paused. When the steppable
// Session lands (DESIGN.md) only worker() changes:
//   Session s(options); while (!s.finished()) { gate(); s.advance(); publish(s); } s.finish();
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

#include "handgrad/data/standardize.h"
#include "handgrad/train/trainer.h"
#include "lab_settings.h"

namespace handgrad::lab {

// The parameters of a run at one step, for the views (boundary, units,
// predict) that the HTTP threads compute on their own copy of the network.
struct Snapshot {
  long step = -1;
  std::string arch;
  Dims input;
  std::vector<float> params;
  Standardizer stdz;
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
  void hook(const TrainView& v);
  void publish(const TrainView& v, bool evaluate_now);
  void gate(std::unique_lock<std::mutex>& lk);
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
