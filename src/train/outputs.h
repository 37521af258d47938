#pragma once
// The run folder's metrics.csv and pictures.
#include <string>
#include <vector>

#include "handgrad/train/trainer.h"

namespace handgrad {

// step,epoch,train_loss,test_loss,test_accuracy,samples_per_second
void write_metrics_csv(const std::string& path, const std::vector<EvalRow>& rows);
// loss.png, accuracy.png and confusion.png in dir.
void write_run_plots(const std::string& dir, const TrainResult& r, const std::string& title);

}  // namespace handgrad
