#pragma once
// Small cairo helpers shared by the 2-D pictures (boundary, relu-demo):
// a data-to-pixel frame, "nice" ticks, axes, text, markers, class colours.
#include <cairo.h>

#include <string>
#include <vector>

#include "handgrad/pictures/plot.h"  // Rgb, Frame, nice_ticks

namespace handgrad::chart {

// Distinct, colour-blind-friendly class colours (Okabe-Ito), cycling.
Rgb class_color(int k);
// Lighter version of c: mix with white, t = 0 (c) .. 1 (white).
Rgb lighten(Rgb c, double t);
void set_color(cairo_t* cr, Rgb c, double alpha = 1.0);

// Text anchored at (x, y): ax = 0 left, 0.5 centre, 1 right; ay likewise
// 0 top .. 1 bottom. Rotated 90 degrees counter-clockwise when `vertical`.
void text(cairo_t* cr, double x, double y, const std::string& s, double size, double ax, double ay,
          bool bold = false, bool vertical = false);

// Frame border, ticks with labels on both axes, axis titles.
void axes(cairo_t* cr, const Frame& f, const std::string& xlabel, const std::string& ylabel);

// Adds a marker path centred at (x, y) of radius r: 0 circle, 1 square,
// 2 triangle, 3 diamond, 4 inverted triangle, then cycling.
void marker_path(cairo_t* cr, int shape, double x, double y, double r);

// A filled marker with a dark outline, in class k's colour and shape.
void class_marker(cairo_t* cr, int k, double x, double y, double r, double alpha, bool outline);

// An RGB image surface and its context, white, freed on every path.
struct Canvas {
  Canvas(int w, int h);
  ~Canvas();
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;
  cairo_surface_t* surface;
  cairo_t* cr;
};

// Writes the surface as PNG atomically; throws Error naming the path.
void save_png(cairo_surface_t* s, const std::string& path);

}  // namespace handgrad::chart
