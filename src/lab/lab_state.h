#pragma once
// What the lab's HTTP handlers share: the runs (with their caps), the
// models the page may use, the test sets the confusion matrix reads.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "handgrad/data/dataset.h"
#include "handgrad/model/network.h"
#include "lab.h"
#include "lab_run.h"

namespace handgrad::lab {

// A model the page can predict with: the --model file, one it opened under
// --data-dir, or a run's current parameters.
struct ModelRef {
  std::string id, label, data;  // data: the set it was trained on ("mnist", ...)
  std::shared_ptr<const Snapshot> snap;
};

class LabState {
 public:
  explicit LabState(const LabOptions& o);

  const LabOptions& options() const { return o_; }
  std::atomic<bool> stopping{false};
  std::atomic<int> streams{0};

  // Parses, checks the caps, writes inline points, starts the run.
  std::shared_ptr<LabRun> create_run(const nlohmann::json& settings, const std::string& client);
  std::shared_ptr<LabRun> find_run(const std::string& id) const;  // ApiError(404)
  void delete_run(const std::string& id);                         // ApiError(404)
  std::vector<std::shared_ptr<LabRun>> runs() const;
  void stop_all();  // stops every run and waits for it (their files get finished)
  // The folder of run `id` (its points, exports and the train() run folder "run").
  std::string run_dir(const std::string& id) const { return o_.out_dir + "/" + id; }

  // "model" (--model), "file-N" (opened), "run:<id>" (live parameters).
  ModelRef model(const std::string& id) const;
  nlohmann::json models_json() const;
  // Opens DATA_DIR/relative (a .safetensors file, or a run folder holding
  // model.safetensors). ApiError(404) for anything outside --data-dir.
  std::string open_model(const std::string& relative);
  void open_model_file(const std::string& path, const std::string& id, const std::string& label);

  // The test split of mnist / fashion-mnist, loaded once.
  std::shared_ptr<const Dataset> test_set(const std::string& name);

 private:
  const LabOptions o_;
  mutable std::mutex mu_;
  // A slot is taken (run still null) while its folder is made, so the caps
  // hold for requests that arrive at the same time.
  struct Slot {
    std::string client;
    bool image_data = false;
    std::shared_ptr<LabRun> run;
  };
  std::map<std::string, Slot> runs_;
  std::map<std::string, ModelRef> models_;
  std::map<std::string, std::shared_ptr<const Dataset>> test_sets_;
  long next_run_ = 1;
  std::mutex data_mu_;  // one data set load at a time
};

}  // namespace handgrad::lab
