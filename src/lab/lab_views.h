#pragma once
// What the playground draws, computed from a run's snapshot: the class
// probabilities over the data window (the heat map), every neuron's output
// over the same window (the thumbnails), dead ReLU units, and the weights.
#include <nlohmann/json.hpp>
#include <vector>

#include "handgrad/model/network.h"
#include "handgrad/pictures/boundary_plot.h"
#include "lab_run.h"

namespace handgrad::lab {

// A network with the snapshot's parameters, buffers and input step: it
// takes raw inputs, as the run's own network does.
Network<float> network_from(const Snapshot& s);

// The window boundary.png would show for these points.
DataWindow points_window(const std::vector<Point>& train, const std::vector<Point>& test);

// {"res", "x0", "x1", "y0", "y1", "classes", "probs"}: probs is res*res*K
// values, row 0 at the top (y1), column 0 at x0, each the cell's centre
// (raw data units: the network applies its own input step).
nlohmann::json boundary_json(const Network<float>& net, const DataWindow& w, int res);

// Everything the playground draws at once: the boundary, "columns" (the
// input, each hidden layer that feeds a linear layer, the output), each unit
// a res_u x res_u thumbnail as integers 0..255 between its min and max, with
// "dead" for the units of layers that can die (Layer::can_die(): ReLU) that
// are never active on the training points, and "weights" per linear layer
// (out x in, then the bias).
nlohmann::json view_json(const Network<float>& net, const std::vector<Point>& train,
                         const DataWindow& w, int res, int res_u);

// A tensor as {"dims", "min", "max", "q"}: q holds integers 0..255 spanning
// [min, max] (the page colours them, with 0 where it falls).
nlohmann::json quantized(const float* v, size_t n, const Dims& dims);

}  // namespace handgrad::lab
