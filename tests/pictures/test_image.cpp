// Images for predict: PNG (with transparency), PGM/PPM, malformed files
// refused with one line naming them, and area-average resizing.
#include <cairo.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <numeric>

#include "handgrad/core/error.h"
#include "handgrad/core/files.h"
#include "handgrad/data/idx.h"
#include "handgrad/pictures/image.h"
#include "support/test_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace fs = std::filesystem;
using namespace handgrad;

namespace {

std::string tmp_path(const std::string& name) {
  const fs::path d = fs::path(::testing::TempDir()) / ("hg_img_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return (d / name).string();
}

// Writes a w x h PNG; paint(cr) draws on a fully transparent canvas.
std::string write_png(const std::string& name, int w, int h, cairo_format_t format,
                      const std::function<void(cairo_t*)>& paint) {
  const std::string p = tmp_path(name);
  cairo_surface_t* s = cairo_image_surface_create(format, w, h);
  cairo_t* cr = cairo_create(s);
  cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
  paint(cr);
  cairo_destroy(cr);
  EXPECT_EQ(cairo_surface_write_to_png(s, p.c_str()), CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy(s);
  return p;
}

void expect_refused(const std::string& name, const std::string& bytes, const std::string& needle) {
  const std::string p = tmp_path(name);
  write_file_atomic(p, bytes);
  try {
    read_gray_image(p);
    FAIL() << name << " accepted; expected: " << needle;
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(p + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(Image, OpaquePngBecomesLuminance) {
  const std::string p = write_png("rgb.png", 3, 2, CAIRO_FORMAT_RGB24, [](cairo_t* cr) {
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, 0, 0, 1, 1);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 1, 0, 0);
    cairo_rectangle(cr, 1, 0, 1, 1);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 1);
    cairo_rectangle(cr, 2, 1, 1, 1);
    cairo_fill(cr);
  });
  const GrayImage img = read_gray_image(p);
  EXPECT_EQ(img.width, 3);
  EXPECT_EQ(img.height, 2);
  EXPECT_TRUE(img.alpha.empty());
  EXPECT_EQ(img.pixels[0], 1.0f);
  EXPECT_NEAR(img.pixels[1], 0.299f, 1e-6);
  EXPECT_EQ(img.pixels[2], 0.0f);
  EXPECT_NEAR(img.pixels[5], 0.114f, 1e-6);
}

// Black ink drawn on a transparent canvas (what drawing programs save):
// with --invert the ink becomes white and the background black; without,
// the background is still black. Either way transparent = background.
TEST(Image, TransparentBackgroundIsBackground) {
  const std::string p = write_png("ink.png", 4, 4, CAIRO_FORMAT_ARGB32, [](cairo_t* cr) {
    cairo_set_source_rgba(cr, 0, 0, 0, 1);
    cairo_rectangle(cr, 1, 1, 2, 2);
    cairo_fill(cr);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.5);
    cairo_rectangle(cr, 0, 3, 1, 1);
    cairo_fill(cr);
  });
  const GrayImage img = read_gray_image(p);
  ASSERT_EQ(img.alpha.size(), 16u);
  EXPECT_EQ(img.alpha[0], 0.0f);
  EXPECT_EQ(img.alpha[5], 1.0f);
  const auto inv = to_model_input(img, 4, 4, true);
  EXPECT_EQ(inv[0], 0.0f);            // transparent: background
  EXPECT_EQ(inv[5], 1.0f);            // black ink: white stroke, like MNIST
  EXPECT_NEAR(inv[12], 0.0f, 0.01f);  // half-transparent white over white, inverted
  const auto plain = to_model_input(img, 4, 4, false);
  EXPECT_EQ(plain[0], 0.0f);
  EXPECT_EQ(plain[5], 0.0f);
  EXPECT_NEAR(plain[12], 0.5f, 0.01f);  // half-transparent white over black
}

TEST(Image, PgmBinaryAsciiAndSixteenBit) {
  const std::string p5 = tmp_path("a.pgm");
  write_file_atomic(p5,
                    std::string("P5\n# made by hand\n3 1\n255\n") + char(0) + char(51) + char(255));
  const GrayImage a = read_gray_image(p5);
  EXPECT_EQ(a.width, 3);
  EXPECT_EQ(a.height, 1);
  EXPECT_EQ(a.pixels, (std::vector<float>{0.0f, 51 / 255.0f, 1.0f}));

  const std::string p2 = tmp_path("b.pgm");
  write_file_atomic(p2, "P2 2 2 # comment\n 4\n0 1\n2 4\n");
  EXPECT_EQ(read_gray_image(p2).pixels, (std::vector<float>{0, 0.25f, 0.5f, 1}));

  const std::string p16 = tmp_path("c.pgm");
  write_file_atomic(
      p16, std::string("P5 2 1 65535\n") + char(0xff) + char(0xff) + char(0x80) + char(0x00));
  const GrayImage c = read_gray_image(p16);
  EXPECT_EQ(c.pixels[0], 1.0f);
  EXPECT_NEAR(c.pixels[1], 32768 / 65535.0f, 1e-7);

  const std::string ppm = tmp_path("d.ppm");
  write_file_atomic(ppm, std::string("P6 1 1 255\n") + char(255) + char(0) + char(0));
  EXPECT_NEAR(read_gray_image(ppm).pixels[0], 0.299f, 1e-6);
}

TEST(Image, RefusesMalformedFiles) {
  expect_refused("empty.pgm", "", "empty file");
  expect_refused("text.png", "hello world", "not a PNG, PGM");
  expect_refused("p4.pbm", "P4 1 1\n\x80", "not a PNG, PGM");
  expect_refused("trunc.pgm", "P5 4 4 255\nabc", "truncated");
  expect_refused("nodata.pgm", "P5 4 4 255", "truncated header");
  expect_refused("nomax.pgm", "P5 4 4", "no maxval");
  expect_refused("max0.pgm", "P5 1 1 0\n\x01", "maxval 0");
  expect_refused("maxbig.pgm", "P2 1 1 70000\n1", "maxval 70000");
  expect_refused("zero.pgm", "P5 0 4 255\n", "image size 0x4");
  expect_refused("huge.pgm", "P5 100000 100000 255\nxx", "image size 100000x100000");
  expect_refused("wide.pgm", "P5 16384 16384 255\nxx", "2^26");
  expect_refused("letters.pgm", "P2 x 1 255\n", "width is not a number");
  expect_refused("over.pgm", "P2 2 1 10\n5 11\n", "pixel value 11 exceeds maxval 10");
  expect_refused("short.pgm", "P2 2 2 10\n5 1 2", "no pixel value");
  expect_refused("overflow.pgm", "P2 99999999999999999999 1 255\n", "too large");

  const std::string good = write_png("good.png", 8, 8, CAIRO_FORMAT_RGB24, [](cairo_t* cr) {
    cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
    cairo_paint(cr);
  });
  const std::string png = read_file(good);
  expect_refused("trunc.png", png.substr(0, png.size() / 2), "unreadable PNG");
  expect_refused("header.png", png.substr(0, 20), "truncated PNG");
  std::string corrupt = png;
  for (size_t i = 41; i < corrupt.size() - 12; ++i) corrupt[i] = static_cast<char>(i * 31);
  expect_refused("corrupt.png", corrupt, "unreadable PNG");
  std::string huge = png;
  huge[16] = 0x7f;  // width 2^30 + ...: refused before cairo allocates
  expect_refused("huge.png", huge, "outside the supported");
  try {
    read_gray_image(tmp_path("absent.png"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("absent.png"), std::string::npos);
  }
}

GrayImage make(int w, int h, std::vector<float> px) {
  GrayImage g;
  g.width = w;
  g.height = h;
  g.pixels = std::move(px);
  return g;
}

TEST(Image, AreaAverageResize) {
  // 4x4 -> 2x2: each output is the mean of a 2x2 block.
  const GrayImage g = make(4, 4,
                           {0, 1, 0, 0,        //
                            1, 0, 0, 0,        //
                            1, 1, 0.2f, 0.2f,  //
                            1, 1, 0.2f, 0.6f});
  const auto out = to_model_input(g, 2, 2, false);
  EXPECT_EQ(out, (std::vector<float>{0.5f, 0, 1, 0.3f}));
  const auto inv = to_model_input(g, 2, 2, true);
  EXPECT_NEAR(inv[0], 0.5f, 1e-6);
  EXPECT_NEAR(inv[3], 0.7f, 1e-6);
  // Same size: unchanged.
  EXPECT_EQ(to_model_input(g, 4, 4, false), g.pixels);
  // 3 -> 2 across fractional cells: output 0 covers [0, 1.5), so the mean
  // is (1 * a + 0.5 * b) / 1.5; the overall mean is kept.
  const GrayImage row = make(3, 1, {0.9f, 0.3f, 0.6f});
  const auto r = to_model_input(row, 1, 2, false);
  EXPECT_NEAR(r[0], (0.9f + 0.5f * 0.3f) / 1.5f, 1e-6);
  EXPECT_NEAR(r[1], (0.5f * 0.3f + 0.6f) / 1.5f, 1e-6);
  EXPECT_NEAR((r[0] + r[1]) / 2, 0.6f, 1e-6);
  // Upscaling repeats pixels.
  EXPECT_EQ(to_model_input(make(2, 1, {0.25f, 1}), 1, 4, false),
            (std::vector<float>{0.25f, 0.25f, 1, 1}));
  // A big image to 28x28 keeps its mean.
  std::vector<float> big(300 * 200);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>((i * 7919) % 256) / 255;
  const auto small = to_model_input(make(300, 200, big), 28, 28, false);
  const double mean_big = std::accumulate(big.begin(), big.end(), 0.0) / big.size();
  const double mean_small = std::accumulate(small.begin(), small.end(), 0.0) / small.size();
  EXPECT_NEAR(mean_small, mean_big, 1e-4);
  EXPECT_THROW(to_model_input(g, 0, 28, false), UsageError);
}

// An MNIST test digit saved as a PNG comes back exactly.
TEST(Image, MnistDigitPngRoundTrip) {
  const std::string dir = handgrad::test::mnist_dir();
  if (dir.empty()) GTEST_SKIP() << handgrad::test::kNoMnist;
  const Dataset test = load_mnist_split(dir, "test");
  const float* digit = test.sample(0);
  const std::string p = write_png("seven.png", 28, 28, CAIRO_FORMAT_RGB24, [&](cairo_t* cr) {
    cairo_surface_t* s = cairo_get_target(cr);
    cairo_surface_flush(s);
    unsigned char* data = cairo_image_surface_get_data(s);
    const int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < 28; ++y) {
      auto* row = reinterpret_cast<uint32_t*>(data + y * stride);
      for (int x = 0; x < 28; ++x) {
        const uint32_t v = static_cast<uint32_t>(std::lround(digit[y * 28 + x] * 255));
        row[x] = 0xff000000u | v << 16 | v << 8 | v;
      }
    }
    cairo_surface_mark_dirty(s);
  });
  const auto x = to_model_input(read_gray_image(p), 28, 28, false);
  EXPECT_EQ(x, std::vector<float>(digit, digit + 784));
}

}  // namespace
