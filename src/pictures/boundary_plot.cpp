#include "handgrad/pictures/boundary_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "handgrad/core/error.h"
#include "pictures/chart.h"

namespace handgrad {
namespace {

// The window of boundary_window(); the longer side gets `size` pixels.
Frame data_frame(const std::vector<const Dataset*>& sets, double left, double top, int size) {
  const DataWindow d = boundary_window(sets);
  const double sx = d.x1 - d.x0, sy = d.y1 - d.y0, longest = std::max(sx, sy);
  const double w = std::round(size * sx / longest), h = std::round(size * sy / longest);
  return {left, top, w, h, d.x0, d.x1, d.y0, d.y1};
}

// Probabilities at the centre of every pixel of the frame: (rows, cols, K).
std::vector<float> probability_grid(const Frame& f, int rows, int cols, int K,
                                    const ProbaFn& proba) {
  std::vector<float> grid(static_cast<size_t>(rows) * cols * K);
  std::vector<float> xy(static_cast<size_t>(cols) * 2);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      xy[2 * static_cast<size_t>(c)] = static_cast<float>(f.data_x(f.left + c + 0.5));
      xy[2 * static_cast<size_t>(c) + 1] = static_cast<float>(f.data_y(f.top + r + 0.5));
    }
    proba(xy.data(), cols, grid.data() + static_cast<size_t>(r) * cols * K);
  }
  return grid;
}

// Region colours: the winning class's colour, paler where it is less sure
// (near 1/K: almost white; near 1: the full tint).
void paint_regions(cairo_t* cr, const Frame& f, int rows, int cols, int K,
                   const std::vector<float>& grid) {
  cairo_surface_t* img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, cols, rows);
  unsigned char* data = cairo_image_surface_get_data(img);
  const int stride = cairo_image_surface_get_stride(img);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const float* p = grid.data() + (static_cast<size_t>(r) * cols + c) * K;
      const int k = static_cast<int>(std::max_element(p, p + K) - p);
      const double conf = (p[k] - 1.0 / K) / (1 - 1.0 / K);  // 0 .. 1
      const Rgb col = chart::lighten(chart::class_color(k), 0.93 - 0.38 * conf);
      auto* pix = reinterpret_cast<uint32_t*>(data + static_cast<size_t>(r) * stride) + c;
      const auto byte = [](double v) { return static_cast<uint32_t>(std::lround(v * 255)); };
      *pix = (byte(col.r) << 16) | (byte(col.g) << 8) | byte(col.b);
    }
  }
  cairo_surface_mark_dirty(img);
  cairo_set_source_surface(cr, img, f.left, f.top);
  cairo_paint(cr);
  cairo_surface_destroy(img);
}

void draw_boundary(cairo_t* cr, const Frame& f, int rows, int cols, int K,
                   const std::vector<float>& grid) {
  // Grid point (c, r) sits at pixel centre (left + c + 0.5, top + r + 0.5).
  cairo_save(cr);
  cairo_set_source_rgb(cr, 0.08, 0.08, 0.08);
  cairo_set_line_width(cr, 2.2);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  for (const Segment& s : boundary_segments(grid, rows, cols, K)) {
    cairo_move_to(cr, f.left + s.x0 + 0.5, f.top + s.y0 + 0.5);
    cairo_line_to(cr, f.left + s.x1 + 0.5, f.top + s.y1 + 0.5);
  }
  cairo_stroke(cr);
  cairo_restore(cr);
}

// Returns the indices of misclassified points (only computed for the test set).
std::vector<int> wrong_points(const Dataset& d, int K, const ProbaFn& proba) {
  std::vector<float> probs(static_cast<size_t>(d.size()) * K);
  proba(d.x.data(), d.size(), probs.data());
  std::vector<int> wrong;
  for (int i = 0; i < d.size(); ++i) {
    const float* p = probs.data() + static_cast<size_t>(i) * K;
    if (std::max_element(p, p + K) - p != d.y[static_cast<size_t>(i)]) wrong.push_back(i);
  }
  return wrong;
}

void draw_points(cairo_t* cr, const Frame& f, const Dataset& d, bool bold) {
  for (int i = 0; i < d.size(); ++i) {
    const float* p = d.sample(i);
    const int k = d.y[static_cast<size_t>(i)];
    if (bold) {
      chart::class_marker(cr, k, f.px(p[0]), f.py(p[1]), 5.0, 1.0, true);
    } else {
      chart::class_marker(cr, k, f.px(p[0]), f.py(p[1]), 3.2, 0.35, false);
    }
  }
}

void ring(cairo_t* cr, double x, double y, double r) {
  cairo_new_sub_path(cr);
  cairo_arc(cr, x, y, r, 0, 2 * std::numbers::pi);
}

void legend(cairo_t* cr, double x, double y, int K, bool has_train, bool has_test) {
  double row = y;
  const auto label = [&](const std::string& s) {
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    chart::text(cr, x + 26, row, s, 13, 0, 0.5);
    row += 22;
  };
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  chart::text(cr, x, row, "Legend", 14, 0, 0.5, true);
  row += 26;
  for (int k = 0; k < K; ++k) {
    if (has_test) {
      chart::class_marker(cr, k, x + 10, row, 5.0, 1.0, true);
      label("class " + std::to_string(k) + ", test");
    }
    if (has_train) {
      chart::class_marker(cr, k, x + 10, row, 3.2, 0.35, false);
      label("class " + std::to_string(k) + ", train");
    }
  }
  if (has_test) {
    cairo_set_source_rgb(cr, 0.85, 0.0, 0.0);
    cairo_set_line_width(cr, 2);
    ring(cr, x + 10, row, 8.5);
    cairo_stroke(cr);
    label("misclassified test point");
  }
  cairo_set_source_rgb(cr, 0.08, 0.08, 0.08);
  cairo_set_line_width(cr, 2.2);
  cairo_move_to(cr, x, row);
  cairo_line_to(cr, x + 20, row);
  cairo_stroke(cr);
  label(K == 2 ? "boundary, p = 0.5" : "boundary (tie of top two)");
  row += 6;
  for (int k = 0; k < K; ++k) {
    for (int s = 0; s < 3; ++s) {
      chart::set_color(cr, chart::lighten(chart::class_color(k), 0.93 - 0.19 * s));
      cairo_rectangle(cr, x + 7 * s, row - 7, 7, 14);
      cairo_fill(cr);
    }
    label("predicted " + std::to_string(k) + " (darker = surer)");
  }
}

}  // namespace

DataWindow boundary_window(const std::vector<const Dataset*>& sets) {
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const Dataset* d : sets) {
    for (int i = 0; i < d->size(); ++i) {
      x0 = std::min(x0, static_cast<double>(d->sample(i)[0]));
      x1 = std::max(x1, static_cast<double>(d->sample(i)[0]));
      y0 = std::min(y0, static_cast<double>(d->sample(i)[1]));
      y1 = std::max(y1, static_cast<double>(d->sample(i)[1]));
    }
  }
  const double longest = std::max({x1 - x0, y1 - y0, 1e-6}) * 1.16;
  const double sx = std::max((x1 - x0) * 1.16, 0.6 * longest);
  const double sy = std::max((y1 - y0) * 1.16, 0.6 * longest);
  const double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  return {cx - sx / 2, cx + sx / 2, cy - sy / 2, cy + sy / 2};
}

double write_boundary_plot(const std::string& path, const BoundaryPlot& p, const ProbaFn& proba) {
  std::vector<const Dataset*> sets;
  for (const Dataset* d : {p.train, p.test}) {
    if (!d || d->size() == 0) continue;
    if (d->sample_dims != Dims{2}) {
      throw UsageError("boundary: " + d->name + " has " + dims_str(d->sample_dims) +
                       " features per point; boundary pictures need 2");
    }
    sets.push_back(d);
  }
  if (sets.empty()) throw UsageError("boundary: no points to draw");
  const int K = p.classes;
  const double left = 80, top = 70;
  const Frame f = data_frame(sets, left, top, p.size);
  const int cols = static_cast<int>(f.width), rows = static_cast<int>(f.height);
  chart::Canvas canvas(static_cast<int>(left) + cols + 270,
                       std::max(static_cast<int>(top) + rows + 70, 420));
  cairo_t* cr = canvas.cr;

  const std::vector<float> grid = probability_grid(f, rows, cols, K, proba);
  paint_regions(cr, f, rows, cols, K, grid);
  draw_boundary(cr, f, rows, cols, K, grid);
  const bool has_train = p.train && p.train->size() > 0;
  const bool has_test = p.test && p.test->size() > 0;
  if (has_train) draw_points(cr, f, *p.train, false);
  double accuracy = -1;
  if (has_test) {
    draw_points(cr, f, *p.test, true);
    const std::vector<int> wrong = wrong_points(*p.test, K, proba);
    accuracy = 1.0 - static_cast<double>(wrong.size()) / p.test->size();
    cairo_set_source_rgb(cr, 0.85, 0.0, 0.0);
    cairo_set_line_width(cr, 2);
    for (int i : wrong) ring(cr, f.px(p.test->sample(i)[0]), f.py(p.test->sample(i)[1]), 8.5);
    cairo_stroke(cr);
  }
  chart::axes(cr, f, "x1", "x2");
  legend(cr, left + cols + 24, top + 12, K, has_train, has_test);

  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  char sub[160];
  if (has_test) {
    std::snprintf(sub, sizeof sub, "test accuracy %.3f (%d of %d test points right)", accuracy,
                  p.test->size() - static_cast<int>(std::lround((1 - accuracy) * p.test->size())),
                  p.test->size());
  } else {
    std::snprintf(sub, sizeof sub, "no test set");
  }
  chart::text(cr, left + cols / 2.0, 14, p.title, 17, 0.5, 0, true);
  chart::text(cr, left + cols / 2.0, 40, sub, 14, 0.5, 0);
  chart::save_png(canvas.surface, path);
  return accuracy;
}

}  // namespace handgrad
