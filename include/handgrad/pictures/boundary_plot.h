#pragma once
// Decision-boundary pictures of a classifier on 2-D points (Figure 1 of the
// seed report, done properly): regions coloured by the predicted class and
// shaded by its probability, the boundary as a line found by marching
// squares, training points faint, test points bold, per-class markers, axes,
// a legend and the test accuracy in the title.
#include <functional>
#include <string>
#include <vector>

#include "handgrad/data/dataset.h"

namespace handgrad {

// probs: (n, K) assigned class probabilities for the points x: (n, 2), given
// in the data's own coordinates (the caller applies any standardisation).
using ProbaFn = std::function<void(const float* x, int n, float* probs)>;

struct BoundaryPlot {
  std::string title;               // first title line, e.g. "seed-2d on moons"
  int classes = 2;                 // K
  const Dataset* train = nullptr;  // may be null
  const Dataset* test = nullptr;   // may be null; its accuracy goes in the title
  int size = 640;                  // plot area in pixels (square)
};

// Returns the test accuracy drawn in the title (-1 without a test set).
// Throws Error naming the path if it cannot be written, UsageError if the
// data are not 2-D or there are no points at all.
double write_boundary_plot(const std::string& path, const BoundaryPlot& p, const ProbaFn& proba);

// The data window a boundary picture shows: every point's box padded by 8%,
// one scale on both axes (circles stay round), the shorter side at least 60%
// of the longer. The lab's heat map uses it too, so both frame alike.
struct DataWindow {
  double x0, x1, y0, y1;
};
DataWindow boundary_window(const std::vector<const Dataset*>& sets);

// The boundary as line segments: for each class k the zero level of
// p_k - max_{j != k} p_j on a grid (for K = 2 this is p_1 = 0.5).
// grid: (rows, cols, K) probabilities; returns segments as (x0, y0, x1, y1)
// in grid index units (column, row).
struct Segment {
  double x0, y0, x1, y1;
};
std::vector<Segment> boundary_segments(const std::vector<float>& grid, int rows, int cols, int K);

}  // namespace handgrad
