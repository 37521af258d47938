#include <gtest/gtest.h>

#include <cmath>

#include "support/test_util.h"
#include "handgrad/pictures/boundary_plot.h"
#include "handgrad/core/error.h"
#include "handgrad/train/model_proba.h"
#include "handgrad/model/network.h"
#include "handgrad/model/model_file.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace handgrad {
namespace {


// A one-layer model with logits (x1, -x1): class 1 exactly where x1 < 0.
void save_sign_model(const std::string& path, std::map<std::string, std::string> meta = {}) {
  Network<float> net("linear(2)", {2});
  const float w[] = {1, 0, -1, 0, 0, 0};  // weight (2, 2) then bias (2)
  std::copy(w, w + 6, net.params());
  save_model(path, net, meta);
}

TEST(MarchingSquares, FindsAStraightBoundary) {
  // p1 = 1 where column < 4.5, else 0, on a 6 x 10 grid: the line is x = 4.5.
  const int rows = 6, cols = 10;
  std::vector<float> g(rows * cols * 2);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const float p1 = 1.0f / (1.0f + std::exp(4.0f * (c - 4.5f)));
      g[(r * cols + c) * 2] = 1 - p1;
      g[(r * cols + c) * 2 + 1] = p1;
    }
  }
  const auto segs = boundary_segments(g, rows, cols, 2);
  ASSERT_EQ(segs.size(), static_cast<size_t>(rows - 1));  // one per row of cells
  for (const Segment& s : segs) {
    EXPECT_NEAR(s.x0, 4.5, 1e-6);
    EXPECT_NEAR(s.x1, 4.5, 1e-6);
    EXPECT_NEAR(std::abs(s.y1 - s.y0), 1.0, 1e-9);
  }
}

TEST(MarchingSquares, SaddleGivesTwoSegments) {
  // Corners alternate: class 1 at (0,0) and (1,1) only.
  const std::vector<float> g = {0.1f, 0.9f, 0.9f, 0.1f,   // row 0: (c0) class 1, (c1) class 0
                                0.9f, 0.1f, 0.1f, 0.9f};  // row 1: (c0) class 0, (c1) class 1
  EXPECT_EQ(boundary_segments(g, 2, 2, 2).size(), 2u);
}

TEST(ModelProba, AppliesTheNetworksInputStep) {
  Network<float> net("linear(2)", {2});
  const float w[] = {1, 0, -1, 0, 0, 0};
  std::copy(w, w + 6, net.params());
  const float x[] = {0.5f, 0.0f};
  float p[2];
  network_proba(net)(x, 1, p);
  EXPECT_GT(p[0], 0.5f);  // x1 = 0.5 > 0: class 0
  InputNorm st;
  st.mean = {1.0f, 0.0f};
  st.std = {1.0f, 1.0f};
  net.set_input_norm(st);
  network_proba(net)(x, 1, p);
  EXPECT_GT(p[1], 0.5f);  // (0.5 - 1) / 1 < 0: class 1
  st.mean = {1.0f};
  st.std = {1.0f};
  EXPECT_THROW(net.set_input_norm(st), UsageError);
}

TEST(BoundaryCli, DrawsAndReportsTestAccuracy) {
  test::TempDir dir("boundary");
  save_sign_model(dir.file("m.safetensors"));
  save_sign_model(dir.file("shifted.safetensors"),
                  {{"standardize", R"({"mean":[1.5,0],"std":[1,1]})"}});
  test::write_text(dir.file("train.csv"), "x1,x2,label\n-1,0,1\n1,1,0\n-2,1,1\n2,-1,0\n");
  // Three of four right for the sign model (x1 = 1 is class 1 but x1 > 0).
  test::write_text(dir.file("test.csv"), "x1,x2,label\n-1,1,1\n1,0,1\n3,1,0\n-3,0,1\n");
  const std::string data =
      "--data " + dir.file("train.csv") + " --test-data " + dir.file("test.csv");
  auto r = run_cli("boundary --model " + dir.file("m.safetensors") + " " + data + " --out " +
                   dir.file("b.png"));
  ASSERT_EQ(r.code, 0) << r.all;
  EXPECT_NE(r.all.find("test accuracy 0.7500 on 4 points"), std::string::npos) << r.all;
  EXPECT_TRUE(test::is_png(dir.file("b.png")));
  // Standardised by the model's metadata, the boundary moves to x1 = 1.5: all right.
  r = run_cli("boundary --model " + dir.file("shifted.safetensors") + " " + data + " --out " +
              dir.file("s.png"));
  ASSERT_EQ(r.code, 0) << r.all;
  EXPECT_NE(r.all.find("test accuracy 1.0000 on 4 points (inputs standardised"), std::string::npos)
      << r.all;
}

TEST(BoundaryCli, Errors) {
  test::TempDir dir("boundary_err");
  save_sign_model(dir.file("m.safetensors"));
  Network<float> wide("linear(2)", {3});
  save_model(dir.file("wide.safetensors"), wide);
  auto r = run_cli("boundary --model " + dir.file("wide.safetensors") + " --data moons --out " +
                   dir.file("b.png"));
  EXPECT_EQ(r.code, 2) << r.all;
  EXPECT_NE(r.all.find("need a model with 2 inputs"), std::string::npos) << r.all;
  test::write_text(dir.file("bad.csv"), "1,2,0\n1,2,5\n");
  r = run_cli("boundary --model " + dir.file("m.safetensors") + " --data " + dir.file("bad.csv") +
              " --out " + dir.file("b.png"));
  EXPECT_EQ(r.code, 1) << r.all;
  EXPECT_NE(r.all.find("bad.csv:2: label '5' is out of range (labels are 0..1)"), std::string::npos)
      << r.all;
  EXPECT_FALSE(std::filesystem::exists(dir.file("b.png")));
  r = run_cli("boundary --model " + dir.file("m.safetensors") + " --data moons --out " +
              dir.file("no/such/dir/b.png"));
  EXPECT_EQ(r.code, 1) << r.all;
}

}  // namespace
}  // namespace handgrad
