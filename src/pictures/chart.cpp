#include "pictures/chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "handgrad/core/error.h"
#include "handgrad/core/files.h"

namespace handgrad::chart {

Rgb class_color(int k) {
  static const Rgb c[] = {{0.0, 0.447, 0.698},   {0.835, 0.369, 0.0}, {0.0, 0.620, 0.451},
                          {0.800, 0.475, 0.655}, {0.902, 0.624, 0.0}, {0.337, 0.706, 0.914},
                          {0.941, 0.894, 0.259}, {0.3, 0.3, 0.3}};
  return c[k % 8];
}

Rgb lighten(Rgb c, double t) {
  return {c.r + (1 - c.r) * t, c.g + (1 - c.g) * t, c.b + (1 - c.b) * t};
}

void set_color(cairo_t* cr, Rgb c, double alpha) {
  cairo_set_source_rgba(cr, c.r, c.g, c.b, alpha);
}

void text(cairo_t* cr, double x, double y, const std::string& s, double size, double ax, double ay,
          bool bold, bool vertical) {
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  // Anchor on the advance width and the font size, so labels line up
  // whatever their glyphs' ink extents.
  cairo_save(cr);
  cairo_translate(cr, x, y);
  if (vertical) cairo_rotate(cr, -std::numbers::pi / 2);
  cairo_move_to(cr, -ax * e.x_advance, -ay * size + 0.8 * size);
  cairo_show_text(cr, s.c_str());
  cairo_restore(cr);
}

namespace {
std::string tick_label(double v, double step) {
  char buf[32];
  const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}
}  // namespace

void axes(cairo_t* cr, const Frame& f, const std::string& xlabel, const std::string& ylabel) {
  cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
  cairo_set_line_width(cr, 1.0);
  cairo_rectangle(cr, f.left, f.top, f.width, f.height);
  cairo_stroke(cr);
  const double fs = 12;
  const auto xt = nice_ticks(f.x0, f.x1), yt = nice_ticks(f.y0, f.y1);
  const double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1, ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
  for (double v : xt) {
    const double x = f.px(v), y = f.top + f.height;
    cairo_move_to(cr, x, y);
    cairo_line_to(cr, x, y + 5);
    cairo_stroke(cr);
    text(cr, x, y + 8, tick_label(v, xstep), fs, 0.5, 0);
  }
  double widest = 0;
  for (double v : yt) {
    const double y = f.py(v);
    cairo_move_to(cr, f.left - 5, y);
    cairo_line_to(cr, f.left, y);
    cairo_stroke(cr);
    const std::string s = tick_label(v, ystep);
    cairo_text_extents_t e;
    cairo_text_extents(cr, s.c_str(), &e);
    widest = std::max(widest, e.x_advance);
    text(cr, f.left - 8, y, s, fs, 1, 0.5);
  }
  text(cr, f.left + f.width / 2, f.top + f.height + 28, xlabel, 14, 0.5, 0);
  text(cr, f.left - 16 - widest, f.top + f.height / 2, ylabel, 14, 0.5, 1, false, true);
}

void marker_path(cairo_t* cr, int shape, double x, double y, double r) {
  switch (shape % 5) {
    case 0:
      cairo_new_sub_path(cr);
      cairo_arc(cr, x, y, r, 0, 2 * std::numbers::pi);
      break;
    case 1:
      cairo_rectangle(cr, x - 0.85 * r, y - 0.85 * r, 1.7 * r, 1.7 * r);
      break;
    case 2:
    case 4: {
      const double s = shape % 5 == 2 ? 1 : -1;
      cairo_move_to(cr, x, y - s * 1.15 * r);
      cairo_line_to(cr, x + 1.05 * r, y + s * 0.75 * r);
      cairo_line_to(cr, x - 1.05 * r, y + s * 0.75 * r);
      cairo_close_path(cr);
      break;
    }
    case 3:
      cairo_move_to(cr, x, y - 1.2 * r);
      cairo_line_to(cr, x + 1.2 * r, y);
      cairo_line_to(cr, x, y + 1.2 * r);
      cairo_line_to(cr, x - 1.2 * r, y);
      cairo_close_path(cr);
      break;
  }
}

void class_marker(cairo_t* cr, int k, double x, double y, double r, double alpha, bool outline) {
  marker_path(cr, k, x, y, r);
  set_color(cr, class_color(k), alpha);
  if (outline) {
    cairo_fill_preserve(cr);
    cairo_set_source_rgba(cr, 0.05, 0.05, 0.05, alpha);
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);
  } else {
    cairo_fill(cr);
  }
}

Canvas::Canvas(int w, int h)
    : surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h)), cr(cairo_create(surface)) {
  if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
    throw Error("cannot create a " + std::to_string(w) + "x" + std::to_string(h) + " image");
  }
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
}

Canvas::~Canvas() {
  cairo_destroy(cr);
  cairo_surface_destroy(surface);
}

void save_png(cairo_surface_t* s, const std::string& path) {
  cairo_surface_flush(s);
  write_atomic_with(
      path,
      [&](const std::string& tmp) {
        const cairo_status_t st = cairo_surface_write_to_png(s, tmp.c_str());
        if (st != CAIRO_STATUS_SUCCESS) {
          throw Error(path + ": cannot write PNG: " + cairo_status_to_string(st));
        }
      },
      Durability::rewritable);  // a picture: drawn again by any run
}

}  // namespace handgrad::chart
