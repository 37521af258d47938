// metrics.csv is appended to, one row per evaluation, rather than rewritten
// and fsync'ed whole each time (issue 14, item 10): --eval-every 1 took
// ~25 times as long as the default run. A resumed run still writes exactly
// the rows the uninterrupted run did, whatever a killed run left after its
// last checkpoint.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_util.h"

using namespace handgrad::test;

namespace {

const std::string kMoons = "train --preset seed-2d --data moons --threads 1 --quiet";

double seconds(const std::string& args) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = run_cli(args);
  EXPECT_EQ(r.code, 0) << r.err;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// metrics.csv without its timing column (samples_per_second).
std::string without_timing(const std::string& path) {
  std::istringstream in(slurp(path));
  std::string out;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cols;
    std::istringstream row(line);
    for (std::string c; std::getline(row, c, ',');) cols.push_back(c);
    if (cols.size() != 7) return "bad row: " + line;
    cols.erase(cols.begin() + 5);
    for (const auto& c : cols) out += c + ",";
    out += "\n";
  }
  return out;
}

// 5000 evaluations: the rewrite made this quadratic in the number of rows
// (30 s against 1.3 s for the default run, on a loaded 2-core machine).
TEST(MetricsCsv, EvalEveryStepCostsLittleMore) {
  const TempDir d("metrics_speed");
  const double plain = seconds(kMoons + " --out " + d.file("plain"));
  const double every = seconds(kMoons + " --eval-every 1 --out " + d.file("every"));
  EXPECT_LT(every, 6 * plain + 2) << "default run " << plain << " s, --eval-every 1 " << every
                                  << " s";
  const auto state = nlohmann::json::parse(slurp(d.file("every/state.json")));
  EXPECT_EQ(count_lines(slurp(d.file("every/metrics.csv"))),
            1 + static_cast<int>(state["history"].size()));
  EXPECT_EQ(state["history"].size(), 5000u);
}

// A run killed after its checkpoint at step 30 had appended rows beyond it;
// the resumed run starts the file again from the checkpoint's rows.
TEST(MetricsCsv, ResumeDropsRowsPastTheCheckpoint) {
  const TempDir d("metrics_resume");
  const std::string args = kMoons + " --eval-every 5 ";
  ASSERT_EQ(run_cli(args + "--iterations 60 --out " + d.file("full")).code, 0);
  ASSERT_EQ(run_cli(args + "--iterations 30 --out " + d.file("part")).code, 0);
  std::ofstream(d.file("part/metrics.csv"), std::ios::app)
      << "35,0.7,0.5,0.5,0.8,1000.0,0.1\n40,0.8,0.5,0.5,0.8,1000.0,0.1\n";
  const auto r = run_cli("train --quiet --resume " + d.file("part") + " --iterations 60");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(without_timing(d.file("part/metrics.csv")), without_timing(d.file("full/metrics.csv")));
}

}  // namespace
