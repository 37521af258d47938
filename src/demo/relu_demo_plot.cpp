#include "handgrad/demo/relu_demo_plot.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "pictures/chart.h"

namespace handgrad {
namespace {

void curve(cairo_t* cr, const Frame& f, const std::function<double(double)>& fn, Rgb c,
           double width, bool dashed) {
  cairo_save(cr);
  cairo_rectangle(cr, f.left, f.top, f.width, f.height);
  cairo_clip(cr);
  for (int i = 0; i <= 400; ++i) {
    const double x = f.x0 + (f.x1 - f.x0) * i / 400;
    cairo_line_to(cr, f.px(x), f.py(fn(x)));
  }
  chart::set_color(cr, c);
  cairo_set_line_width(cr, width);
  const double dash[] = {7, 5};
  cairo_set_dash(cr, dash, dashed ? 2 : 0, 0);
  cairo_stroke(cr);
  cairo_restore(cr);
}

// Shades the x ranges where fn(x) > 0.5 in the class-1 colour.
void shade_above(cairo_t* cr, const Frame& f, const std::function<double(double)>& fn) {
  chart::set_color(cr, chart::lighten(chart::class_color(1), 0.82));
  const int steps = 900;
  for (int i = 0; i < steps; ++i) {
    const double x = f.x0 + (f.x1 - f.x0) * (i + 0.5) / steps;
    if (fn(x) > 0.5) {
      cairo_rectangle(cr, f.left + f.width * i / steps, f.top, f.width / steps + 0.5, f.height);
    }
  }
  cairo_fill(cr);
}

void threshold_line(cairo_t* cr, const Frame& f) {
  cairo_save(cr);
  cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
  cairo_set_line_width(cr, 1);
  const double dash[] = {3, 3};
  cairo_set_dash(cr, dash, 2, 0);
  cairo_move_to(cr, f.left, f.py(0.5));
  cairo_line_to(cr, f.left + f.width, f.py(0.5));
  cairo_stroke(cr);
  cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
  chart::text(cr, f.left + 6, f.py(0.5) - 3, "threshold 0.5", 11, 0, 1);
  cairo_restore(cr);
}

void points(cairo_t* cr, const Frame& f, const std::function<double(double)>& fn) {
  for (size_t i = 0; i < kDemoX.size(); ++i) {
    chart::class_marker(cr, kDemoY[i], f.px(kDemoX[i]), f.py(fn(kDemoX[i])), 6, 1, true);
  }
}

struct Entry {
  std::string label;
  Rgb color;
  int kind;  // 0 solid line, 1 dashed line, 2+k marker of class k
};

void legend(cairo_t* cr, double right, double top, const std::vector<Entry>& es) {
  double w = 0;
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, 12);
  for (const Entry& e : es) {
    cairo_text_extents_t ext;
    cairo_text_extents(cr, e.label.c_str(), &ext);
    w = std::max(w, ext.x_advance + 52);
  }
  const double h = 8 + 20.0 * static_cast<double>(es.size());
  const double x = right - w;
  cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
  cairo_rectangle(cr, x, top, w, h);
  cairo_fill_preserve(cr);
  cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
  for (size_t i = 0; i < es.size(); ++i) {
    const double y = top + 14 + 20.0 * static_cast<double>(i);
    const Entry& e = es[i];
    if (e.kind >= 2) {
      chart::class_marker(cr, e.kind - 2, x + 20, y, 5.5, 1, true);
    } else {
      cairo_save(cr);
      const double dash[] = {7, 5};
      cairo_set_dash(cr, dash, e.kind == 1 ? 2 : 0, 0);
      chart::set_color(cr, e.color);
      cairo_set_line_width(cr, 2.5);
      cairo_move_to(cr, x + 8, y);
      cairo_line_to(cr, x + 32, y);
      cairo_stroke(cr);
      cairo_restore(cr);
    }
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    chart::text(cr, x + 42, y, e.label, 12, 0, 0.5);
  }
}

double relu(double v) {
  return v > 0 ? v : 0;
}

}  // namespace

void write_relu_demo_plot(const std::string& path, const TrainedDemo& t) {
  chart::Canvas c(900, 760);
  cairo_t* cr = c.cr;
  const auto x5 = [](double x) { return relu(-relu(x - 1) + 5); };
  const auto h = [](double x) { return tent(x); };
  const auto p = [&](double x) {
    // Linear interpolation on the trained network's grid over [0, 9].
    const double u = x / 9.0 * (static_cast<double>(t.grid.size()) - 1);
    const size_t i = std::min(t.grid.size() - 2, static_cast<size_t>(std::max(0.0, u)));
    const double a = u - static_cast<double>(i);
    return (1 - a) * t.prob1[i] + a * t.prob1[i + 1];
  };
  const Rgb dark{0.1, 0.1, 0.1}, grey{0.45, 0.45, 0.45};

  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  chart::text(cr, 450, 12, "The seed's ReLU chain vs. a correct two-unit construction", 16, 0.5, 0,
              true);
  const Frame top{80, 48, 790, 290, 0, 9, -1.5, 5.5};
  shade_above(cr, top, h);
  threshold_line(cr, top);
  curve(cr, top, x5, grey, 2.5, true);
  curve(cr, top, h, dark, 2.5, false);
  points(cr, top, x5);
  points(cr, top, h);
  chart::axes(cr, top, "x", "score");
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  chart::text(cr, top.px(1) + 8, top.py(5) - 4, "x = 1 (class 0): X5 = 5, the report prints 0", 12,
              0, 1);
  legend(cr, top.left + top.width - 8, top.top + 40,
         {{"seed eqs. 37-41: X5 = ReLU(5 - ReLU(x - 1))", grey, 1},
          {"h = 2.5 - ReLU(x - 4.5) - ReLU(4.5 - x)", dark, 0},
          {"shaded: h > 0.5, predicted class 1", chart::lighten(chart::class_color(1), 0.6), 0},
          {"class 0 (x = 1, 7, 8)", dark, 2},
          {"class 1 (x = 3, 4, 5)", dark, 3}});

  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  chart::text(cr, 450, 392,
              "Trained by handgrad: " + t.arch + " (seed " + std::to_string(t.seed) + ", " +
                  std::to_string(t.epochs) + " epochs), accuracy " +
                  std::to_string(static_cast<int>(std::lround(100 * t.accuracy))) + "%",
              15, 0.5, 0, true);
  const Frame bot{80, 425, 790, 270, 0, 9, -0.05, 1.05};
  shade_above(cr, bot, p);
  threshold_line(cr, bot);
  curve(cr, bot, p, dark, 2.5, false);
  points(cr, bot, [](double x) {
    for (size_t i = 0; i < kDemoX.size(); ++i) {
      if (kDemoX[i] == x) return static_cast<double>(kDemoY[i]);
    }
    return 0.0;
  });
  chart::axes(cr, bot, "x", "p(class 1 | x)");
  legend(cr, bot.left + bot.width - 8, bot.top + 70,
         {{"learned p(class 1 | x)", dark, 0},
          {"shaded: predicted class 1", chart::lighten(chart::class_color(1), 0.6), 0}});
  chart::save_png(c.surface, path);
}

}  // namespace handgrad
