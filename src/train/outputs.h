#pragma once
// The run folder's metrics.csv and pictures.
#include <string>
#include <utility>
#include <vector>

#include "handgrad/train/trainer.h"

namespace handgrad {

// step,epoch,train_loss,test_loss,test_accuracy,samples_per_second,lr
void write_metrics_csv(const std::string& path, const std::vector<EvalRow>& rows);

// A run's metrics.csv as its evaluations come. The first update of a
// Session writes the whole file (atomically) from its rows, which drops the
// rows a killed run wrote after its last checkpoint; later ones append the
// new row, so --eval-every 1 costs one short write per evaluation instead
// of an fsync'ed rewrite of the whole file.
class MetricsCsv {
 public:
  explicit MetricsCsv(std::string path) : path_(std::move(path)) {}
  // rows: every row so far, the new one last.
  void update(const std::vector<EvalRow>& rows);

 private:
  std::string path_;
  bool started_ = false;
};

// What --resume on a finished run (`steps` done) in dir does: the plots it
// draws, naming those that were missing (boundary.png too when two_d).
std::string completion_note(const std::string& dir, long steps, bool two_d);

// loss.png, accuracy.png and confusion.png in dir.
void write_run_plots(const std::string& dir, const TrainResult& r, const std::string& title);

}  // namespace handgrad
