// Line charts and the confusion heat map, drawn with cairo into PNG files.
#include "handgrad/pictures/plot.h"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "handgrad/core/error.h"
#include "handgrad/core/files.h"

namespace handgrad {

Rgb palette(int i) {
  static const Rgb p[10] = {{0.12, 0.47, 0.71}, {1.00, 0.50, 0.05}, {0.17, 0.63, 0.17},
                            {0.84, 0.15, 0.16}, {0.58, 0.40, 0.74}, {0.55, 0.34, 0.29},
                            {0.89, 0.47, 0.76}, {0.50, 0.50, 0.50}, {0.74, 0.74, 0.13},
                            {0.09, 0.75, 0.81}};
  return p[((i % 10) + 10) % 10];
}

std::vector<double> nice_ticks(double lo, double hi, int approx_count) {
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / std::max(1, approx_count);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  std::vector<double> t;
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  }
  return t;
}

std::string tick_label(double v) {
  char buf[32];
  if (v != 0 && (std::abs(v) >= 1e6 || std::abs(v) < 1e-4)) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.6f", v);
    std::string s = buf;
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
  }
  return buf;
}

Frame make_frame(int w, int h, double x0, double x1, double y0, double y1) {
  // Margins: title above, tick labels and axis titles left and below.
  const double left = 86, right = 28, top = 56, bottom = 70;
  return {left, top, w - left - right, h - top - bottom, x0, x1, y0, y1};
}

void draw_text(cairo_t* cr, const std::string& s, double x, double y, double size, double anchor_x,
               double anchor_y, bool bold, double angle) {
  cairo_save(cr);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t te;
  cairo_text_extents(cr, s.c_str(), &te);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, angle);
  // Anchor on the advance width and the font's cap height, so labels of
  // different glyphs line up.
  cairo_move_to(cr, -te.x_advance * anchor_x, size * 0.72 * (1 - anchor_y));
  cairo_show_text(cr, s.c_str());
  cairo_restore(cr);
}

void draw_axes(cairo_t* cr, const Frame& f, int w, int h, const std::string& title,
               const std::string& xlabel, const std::string& ylabel) {
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_set_line_width(cr, 1);
  const auto xt = nice_ticks(f.x0, f.x1, 7), yt = nice_ticks(f.y0, f.y1, 6);
  // Grid.
  cairo_set_source_rgb(cr, 0.90, 0.90, 0.90);
  for (double v : xt) {
    cairo_move_to(cr, std::round(f.px(v)) + 0.5, f.top);
    cairo_line_to(cr, std::round(f.px(v)) + 0.5, f.top + f.height);
  }
  for (double v : yt) {
    cairo_move_to(cr, f.left, std::round(f.py(v)) + 0.5);
    cairo_line_to(cr, f.left + f.width, std::round(f.py(v)) + 0.5);
  }
  cairo_stroke(cr);
  // Frame, ticks and labels.
  cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
  cairo_rectangle(cr, f.left + 0.5, f.top + 0.5, f.width, f.height);
  cairo_stroke(cr);
  for (double v : xt) {
    const double x = std::round(f.px(v)) + 0.5;
    cairo_move_to(cr, x, f.top + f.height);
    cairo_line_to(cr, x, f.top + f.height + 5);
    cairo_stroke(cr);
    draw_text(cr, tick_label(v), x, f.top + f.height + 9, 13, 0.5, 0);
  }
  for (double v : yt) {
    const double y = std::round(f.py(v)) + 0.5;
    cairo_move_to(cr, f.left - 5, y);
    cairo_line_to(cr, f.left, y);
    cairo_stroke(cr);
    draw_text(cr, tick_label(v), f.left - 8, y, 13, 1, 0.5);
  }
  cairo_set_source_rgb(cr, 0, 0, 0);
  draw_text(cr, title, w / 2.0, 18, 18, 0.5, 0, true);
  draw_text(cr, xlabel, f.left + f.width / 2, h - 24, 15, 0.5, 0);
  draw_text(cr, ylabel, 22, f.top + f.height / 2, 15, 0.5, 0.5, false, -M_PI / 2);
}

namespace {

using Surface = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using Context = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

void save_png(const std::string& path, cairo_surface_t* s) {
  cairo_surface_flush(s);
  write_atomic_with(
      path,
      [&](const std::string& tmp) {
        if (cairo_surface_write_to_png(s, tmp.c_str()) != CAIRO_STATUS_SUCCESS) {
          throw Error(path + ": cannot write the PNG");
        }
      },
      Durability::rewritable);  // a picture: drawn again by any run
}

double text_width(cairo_t* cr, const std::string& s, double size) {
  cairo_save(cr);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t te;
  cairo_text_extents(cr, s.c_str(), &te);
  cairo_restore(cr);
  return te.x_advance;
}

// The legend goes into the corner of the plot that covers the fewest data
// points; a single series needs none (the title names it).
void draw_legend(cairo_t* cr, const Frame& f, const std::vector<Series>& series) {
  std::vector<const Series*> shown;
  for (const auto& s : series) {
    if (!s.label.empty()) shown.push_back(&s);
  }
  if (shown.size() < 2) return;
  double w = 0;
  for (const auto* s : shown) w = std::max(w, text_width(cr, s->label, 13));
  w += 58;
  const double h = 22.0 * shown.size() + 8, m = 10;
  const double xs[2] = {f.left + m, f.left + f.width - m - w};
  const double ys[2] = {f.top + m, f.top + f.height - m - h};
  double bx = xs[1], by = ys[0];
  long best = -1;
  for (double y : ys) {
    for (double x : xs) {
      long inside = 0;
      for (const auto& s : series) {
        for (size_t i = 0; i < s.x.size(); ++i) {
          const double px = f.px(s.x[i]), py = f.py(s.y[i]);
          inside += px >= x - 6 && px <= x + w + 6 && py >= y - 6 && py <= y + h + 6;
        }
      }
      if (best < 0 || inside < best) best = inside, bx = x, by = y;
    }
  }
  cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
  cairo_rectangle(cr, bx, by, w, h);
  cairo_fill_preserve(cr);
  cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
  for (size_t r = 0; r < shown.size(); ++r) {
    const double x = bx + 10, y = by + 15 + 22.0 * r;
    const Rgb col = shown[r]->color;
    cairo_set_source_rgb(cr, col.r, col.g, col.b);
    cairo_set_line_width(cr, 3);
    cairo_move_to(cr, x, y);
    cairo_line_to(cr, x + 26, y);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    draw_text(cr, shown[r]->label, x + 34, y, 13, 0, 0.5);
  }
}

}  // namespace

void write_line_chart(const std::string& path, const LineChart& c) {
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const auto& s : c.series) {
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
    }
  }
  if (x0 > x1) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (c.x_from_zero && x0 > 0) x0 = 0;
  if (c.y_from_zero && y0 > 0) y0 = 0;
  if (c.y_max > c.y_min) y0 = c.y_min, y1 = c.y_max;
  if (x1 - x0 < 1e-12) x0 -= 0.5, x1 += 0.5;
  if (y1 - y0 < 1e-12) y0 -= 0.5, y1 += 0.5;
  if (!(c.y_max > c.y_min)) {  // a little head room
    const double pad = (y1 - y0) * 0.05;
    y1 += pad;
    y0 = y0 >= 0 && y0 - pad < 0 ? 0 : y0 - pad;
  }
  Surface surf(cairo_image_surface_create(CAIRO_FORMAT_RGB24, c.width, c.height),
               &cairo_surface_destroy);
  Context cr(cairo_create(surf.get()), &cairo_destroy);
  const Frame f = make_frame(c.width, c.height, x0, x1, y0, y1);
  draw_axes(cr.get(), f, c.width, c.height, c.title, c.xlabel, c.ylabel);
  cairo_save(cr.get());
  cairo_rectangle(cr.get(), f.left, f.top, f.width, f.height);
  cairo_clip(cr.get());
  for (const auto& s : c.series) {
    cairo_set_source_rgb(cr.get(), s.color.r, s.color.g, s.color.b);
    cairo_set_line_width(cr.get(), 2);
    bool pen = false;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) {
        pen = false;
        continue;
      }
      if (pen) {
        cairo_line_to(cr.get(), f.px(s.x[i]), f.py(s.y[i]));
      } else {
        cairo_move_to(cr.get(), f.px(s.x[i]), f.py(s.y[i]));
      }
      pen = true;
    }
    cairo_stroke(cr.get());
    if (s.markers && s.x.size() <= 60) {
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (!std::isfinite(s.y[i])) continue;
        cairo_arc(cr.get(), f.px(s.x[i]), f.py(s.y[i]), 3.5, 0, 2 * M_PI);
        cairo_fill(cr.get());
      }
    }
  }
  cairo_restore(cr.get());
  draw_legend(cr.get(), f, c.series);
  save_png(path, surf.get());
}

void write_confusion_png(const std::string& path, const std::vector<std::vector<long>>& m,
                         const std::string& title) {
  const int k = static_cast<int>(m.size());
  const double cell = k <= 10 ? 52 : std::max(14.0, 520.0 / k);
  const double left = 96, top = 64, right = 24, bottom = 76;
  const int w = static_cast<int>(left + cell * k + right);
  const int h = static_cast<int>(top + cell * k + bottom);
  Surface surf(cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h), &cairo_surface_destroy);
  Context cr(cairo_create(surf.get()), &cairo_destroy);
  cairo_t* c = cr.get();
  cairo_set_source_rgb(c, 1, 1, 1);
  cairo_paint(c);
  for (int t = 0; t < k; ++t) {
    long row = 0;
    for (long v : m[t]) row += v;
    for (int p = 0; p < k; ++p) {
      const double rate = row > 0 ? static_cast<double>(m[t][p]) / row : 0;
      // White -> dark blue; the diagonal and the errors share one scale.
      const double s = std::sqrt(rate);
      cairo_set_source_rgb(c, 1 - 0.92 * s, 1 - 0.75 * s, 1 - 0.45 * s);
      cairo_rectangle(c, left + p * cell, top + t * cell, cell, cell);
      cairo_fill(c);
      if (k <= 20) {
        const double gray = s > 0.6 ? 1.0 : 0.1;
        cairo_set_source_rgb(c, gray, gray, gray);
        draw_text(c, std::to_string(m[t][p]), left + (p + 0.5) * cell, top + (t + 0.5) * cell,
                  k <= 10 ? 13 : 9, 0.5, 0.5);
      }
    }
  }
  cairo_set_source_rgb(c, 0.3, 0.3, 0.3);
  cairo_set_line_width(c, 1);
  cairo_rectangle(c, left + 0.5, top + 0.5, cell * k, cell * k);
  cairo_stroke(c);
  cairo_set_source_rgb(c, 0, 0, 0);
  const int label_every = k <= 20 ? 1 : (k + 19) / 20;
  for (int i = 0; i < k; i += label_every) {
    draw_text(c, std::to_string(i), left + (i + 0.5) * cell, top + k * cell + 8, 14, 0.5, 0);
    draw_text(c, std::to_string(i), left - 8, top + (i + 0.5) * cell, 14, 1, 0.5);
  }
  draw_text(c, title, w / 2.0, 18, 17, 0.5, 0, true);
  draw_text(c, "predicted class", left + k * cell / 2, h - 30, 15, 0.5, 0);
  draw_text(c, "true class", 30, top + k * cell / 2, 15, 0.5, 0.5, false, -M_PI / 2);
  save_png(path, surf.get());
}

}  // namespace handgrad
