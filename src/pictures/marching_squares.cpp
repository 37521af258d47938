// Marching squares on the class-probability grid: the decision boundary as
// line segments, one or two per grid cell.
#include <algorithm>

#include "handgrad/pictures/boundary_plot.h"

namespace handgrad {
namespace {

// f = p_k - max_{j != k} p_j at grid point (r, c): positive where k wins.
double margin(const std::vector<float>& g, int cols, int K, int r, int c, int k) {
  const float* p = g.data() + (static_cast<size_t>(r) * cols + c) * K;
  float other = -1;
  for (int j = 0; j < K; ++j) {
    if (j != k) other = std::max(other, p[j]);
  }
  return p[k] - other;
}

}  // namespace

std::vector<Segment> boundary_segments(const std::vector<float>& grid, int rows, int cols, int K) {
  std::vector<Segment> out;
  // For K = 2 the levels of k = 0 and k = 1 are the same line; draw it once.
  const int levels = K == 2 ? 1 : K;
  for (int k = 0; k < levels; ++k) {
    for (int r = 0; r + 1 < rows; ++r) {
      for (int c = 0; c + 1 < cols; ++c) {
        // Corners counter-clockwise: (c, r), (c+1, r), (c+1, r+1), (c, r+1).
        const double v[4] = {margin(grid, cols, K, r, c, k), margin(grid, cols, K, r, c + 1, k),
                             margin(grid, cols, K, r + 1, c + 1, k),
                             margin(grid, cols, K, r + 1, c, k)};
        const double cx[4] = {0, 1, 1, 0}, cy[4] = {0, 0, 1, 1};
        // Crossing points on the four edges, in edge order.
        double px[4], py[4];
        int m = 0;
        for (int e = 0; e < 4; ++e) {
          const int a = e, b = (e + 1) % 4;
          if ((v[a] > 0) != (v[b] > 0)) {
            const double t = v[a] / (v[a] - v[b]);
            px[m] = c + cx[a] + t * (cx[b] - cx[a]);
            py[m] = r + cy[a] + t * (cy[b] - cy[a]);
            ++m;
          }
        }
        if (m == 2) {
          out.push_back({px[0], py[0], px[1], py[1]});
        } else if (m == 4) {
          // Saddle: the centre's sign decides which corners join.
          // Edge e joins corners e and e+1. If the centre sides with corners
          // 0 and 2, the line cuts off corners 1 (edges 0, 1) and 3 (edges 2, 3);
          // otherwise it cuts off corners 0 (edges 3, 0) and 2 (edges 1, 2).
          const double centre = (v[0] + v[1] + v[2] + v[3]) / 4;
          if ((centre > 0) == (v[0] > 0)) {
            out.push_back({px[0], py[0], px[1], py[1]});
            out.push_back({px[2], py[2], px[3], py[3]});
          } else {
            out.push_back({px[3], py[3], px[0], py[0]});
            out.push_back({px[1], py[1], px[2], py[2]});
          }
        }
      }
    }
  }
  return out;
}

}  // namespace handgrad
