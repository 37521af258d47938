// metrics.csv is appended to, one row per evaluation, rather than rewritten
// and fsync'ed whole each time (issue 14, item 10): --eval-every 1 took
// ~25 times as long as the default run. A resumed run still writes exactly
// the rows the uninterrupted run did, whatever a killed run left after its
// last checkpoint.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_util.h"
#include "train/outputs.h"

using namespace handgrad::test;

namespace {

const std::string kMoons = "train --preset seed-2d --data moons --threads 1 --quiet";

// Later evaluations append their row: a mark written into the file after
// the first update is still there after the next (a rewrite would drop it,
// and rewriting with an fsync at every evaluation made --eval-every 1 on
// seed-2d moons, 5000 evaluations, take 34.5 s instead of 1.4 s).
TEST(MetricsCsv, LaterEvaluationsAppendTheirRow) {
  const TempDir d("metrics_append");
  handgrad::MetricsCsv csv(d.file("metrics.csv"));
  std::vector<handgrad::EvalRow> rows(1);
  rows[0].step = 10;
  csv.update(rows);
  std::ofstream(d.file("metrics.csv"), std::ios::app) << "# mark\n";
  rows.push_back(rows[0]);
  rows[1].step = 20;
  csv.update(rows);
  const std::string text = slurp(d.file("metrics.csv"));
  EXPECT_NE(text.find("# mark\n"), std::string::npos) << text;
  EXPECT_EQ(count_lines(text), 4) << text;  // header, step 10, the mark, step 20
  EXPECT_EQ(text.rfind("20,", std::string::npos), text.find("# mark\n") + 7) << text;
}

// Every evaluation of a run is a row, the header first.
TEST(MetricsCsv, EvalEveryStepWritesEveryRow) {
  const TempDir d("metrics_every");
  ASSERT_EQ(run_cli(kMoons + " --iterations 300 --eval-every 1 --out " + d.file("every")).code, 0);
  const auto state = nlohmann::json::parse(slurp(d.file("every/state.json")));
  EXPECT_EQ(count_lines(slurp(d.file("every/metrics.csv"))),
            1 + static_cast<int>(state["history"].size()));
  EXPECT_EQ(state["history"].size(), 300u);
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
  EXPECT_EQ(metrics_without_timing(d.file("part/metrics.csv")),
            metrics_without_timing(d.file("full/metrics.csv")));
}

}  // namespace
