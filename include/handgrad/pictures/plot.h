#pragma once
// Small cairo charts for the run folder: line charts with titled axes and
// ticks, and a confusion-matrix heat map. The axes code (Frame) is public so
// other pictures (decision boundaries) can share it.
#include <string>
#include <vector>

typedef struct _cairo cairo_t;

namespace handgrad {

struct Rgb {
  double r = 0, g = 0, b = 0;
};
// A palette of distinguishable colours (Tableau 10), index modulo 10.
Rgb palette(int i);

// "Nice" tick positions covering [lo, hi]: steps of 1, 2 or 5 x 10^k.
std::vector<double> nice_ticks(double lo, double hi, int approx_count = 6);
// Tick label without trailing zeros: "0.25", "1000", "1.5e+06".
std::string tick_label(double v);

// A plotting area inside a picture, mapping data to pixels.
struct Frame {
  double left, top, width, height;  // the plot area in pixels
  double x0, x1, y0, y1;            // the data range shown
  double px(double x) const { return left + (x - x0) / (x1 - x0) * width; }
  double py(double y) const { return top + height - (y - y0) / (y1 - y0) * height; }
  double data_x(double px_) const { return x0 + (px_ - left) / width * (x1 - x0); }
  double data_y(double py_) const { return y1 - (py_ - top) / height * (y1 - y0); }
};

// Frame with margins for title, tick labels and axis titles in a w x h picture.
Frame make_frame(int w, int h, double x0, double x1, double y0, double y1);
// White background, grid, ticks, tick labels, axis titles and the title.
void draw_axes(cairo_t* cr, const Frame& f, int w, int h, const std::string& title,
               const std::string& xlabel, const std::string& ylabel);
// Text helper: anchor_x 0 = left, 0.5 = centre, 1 = right; same for y.
void draw_text(cairo_t* cr, const std::string& s, double x, double y, double size,
               double anchor_x = 0, double anchor_y = 0, bool bold = false, double angle = 0);

struct Series {
  std::string label;
  std::vector<double> x, y;
  Rgb color;
  bool markers = true;
};

struct LineChart {
  std::string title, xlabel, ylabel;
  std::vector<Series> series;
  double y_min = 0, y_max = 0;                    // equal: fit the data
  bool x_from_zero = false, y_from_zero = false;  // extend the fitted range to 0
  int width = 900, height = 540;
};

// Writes a PNG atomically. Throws Error naming the path on failure.
void write_line_chart(const std::string& path, const LineChart& c);

// m: [true][predicted] counts. Cells shaded by the row-normalised rate,
// with the count written in each cell.
void write_confusion_png(const std::string& path, const std::vector<std::vector<long>>& m,
                         const std::string& title);

}  // namespace handgrad
