#pragma once
// Reading user images for `handgrad predict`.
#include <string>
#include <vector>

namespace handgrad {

struct GrayImage {
  int width = 0, height = 0;
  std::vector<float> pixels;  // (height, width), in [0, 1], 1 = white; seen over black
  // (height, width) opacity in [0, 1]; empty when the image is opaque. Lets
  // a transparent background become the model's background either way.
  std::vector<float> alpha;
};

// PNG (any colour type cairo reads), PGM (P2/P5) or PPM (P3/P6), chosen by
// the file's first bytes. Colour becomes luminance (0.299 R + 0.587 G +
// 0.114 B). Throws Error naming the file for unreadable, truncated or
// oversized images (more than 16384 pixels a side or 2^26 pixels).
GrayImage read_gray_image(const std::string& path);

// How a picture becomes the model's (h, w) input.
enum class Fit {
  stretch,  // the whole picture, area-averaged to (h, w)
  // As MNIST's digits were prepared: crop to the drawing (pixels > 0.2
  // after inversion), scale it, aspect kept, so its longer side is 20/28 of
  // the input's, and place it so its centre of mass is the input's centre.
  mnist,
};

// Composites over the background and optionally inverts (black-on-white
// drawings become white-on-black, like MNIST). Transparent pixels are the
// background: black without `invert`, white (so black after it) with it.
// Returns (h, w) values in [0, 1]. A blank picture is stretched either way.
std::vector<float> to_model_input(const GrayImage& img, int h, int w, bool invert,
                                  Fit fit = Fit::stretch);

// The steps of to_model_input, for tests and other callers.
// composite: (H, W) values, foreground bright.
std::vector<float> composite(const GrayImage& img, bool invert);
// Area-averaging resize of src (H, W) to (h, w), clamped to [0, 1].
std::vector<float> resize_area(const std::vector<float>& src, int H, int W, int h, int w);
// Fit::mnist on a composited src (H, W); empty when nothing is drawn.
std::vector<float> fit_like_mnist(const std::vector<float>& src, int H, int W, int h, int w);

}  // namespace handgrad
