#pragma once
// Test-set evaluation through the StepRunner, shared by train and eval.
#include <string>
#include <vector>

#include "handgrad/data/dataset.h"
#include "handgrad/train/step_runner.h"

namespace handgrad {

struct EvalResult {
  int n = 0;
  double loss = 0;                           // mean loss (the runner's)
  double accuracy = 0;                       // fraction of argmax == label
  std::vector<std::vector<long>> confusion;  // (classes, classes): [true][predicted]
};

// Throws Error if a label is outside [0, classes) or the sample shape does
// not match the network input.
EvalResult evaluate(StepRunner& runner, const Network<float>& net, const Dataset& data,
                    int batch = 500);

// The confusion matrix as aligned text, rows = true class, columns = predicted.
std::string format_confusion(const std::vector<std::vector<long>>& m);

// UsageError naming `what` when the dataset's sample shape or labels do not
// fit the network.
void check_data_fits(const Network<float>& net, const Dataset& data, const std::string& what);

}  // namespace handgrad
