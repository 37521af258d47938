// TeamChoice's rules (train/team_choice.h), fed made-up step times: which
// mode it picks, how the watch falls back, how far apart it probes. No
// clock is read here.
#include <gtest/gtest.h>

#include "train/team_choice.h"

namespace handgrad {
namespace {

// Steps through `steps` steps of n samples; a team step takes `team`
// seconds, a one-thread step `one`. Returns how many ran as a team.
long run(TeamChoice& c, long steps, double team, double one, int n = 8) {
  long teams = 0;
  for (long s = 0; s < steps; ++s) {
    const bool t = c.next(n);
    teams += t;
    c.record(t ? team : one);
  }
  return teams;
}

constexpr long kProbe = TeamChoice::kBlock * TeamChoice::kBlocks;

TEST(TeamChoice, AFasterTeamIsKeptAfterTheProbe) {
  TeamChoice c;
  EXPECT_EQ(run(c, kProbe, 1.0, 1.6), kProbe / 2);  // the probe: half and half
  EXPECT_TRUE(c.chose_team());
  EXPECT_EQ(run(c, 1000, 1.0, 1.6), 1000);
}

TEST(TeamChoice, ASlowerTeamIsDroppedAndProbedLessOften) {
  TeamChoice c;
  run(c, kProbe, 2.0, 1.0);
  EXPECT_FALSE(c.chose_team());
  EXPECT_EQ(c.interval(), 2 * TeamChoice::kReprobe);
  // No team step until the next probe, kReprobe * 2 steps after this one.
  EXPECT_EQ(run(c, 2 * TeamChoice::kReprobe - kProbe, 2.0, 1.0), 0);
  EXPECT_EQ(run(c, kProbe, 2.0, 1.0), kProbe / 2);
  EXPECT_EQ(c.interval(), 4 * TeamChoice::kReprobe);
}

TEST(TeamChoice, TheWatchFallsBackWithinOneBlock) {
  TeamChoice c;
  run(c, kProbe, 1.0, 1.6);
  ASSERT_TRUE(c.chose_team());
  // The machine gets busy: team steps now ten times one thread's median.
  EXPECT_EQ(run(c, 100, 16.0, 1.6), TeamChoice::kBlock);
  EXPECT_FALSE(c.chose_team());
  // Up to 25% slower than one thread is tolerated (noise).
  TeamChoice d;
  run(d, kProbe, 1.0, 1.6);
  EXPECT_EQ(run(d, 100, 1.9, 1.6), 100);
}

TEST(TeamChoice, ANewBatchSizeProbesAgain) {
  TeamChoice c;
  run(c, kProbe, 2.0, 1.0);
  ASSERT_FALSE(c.chose_team());
  EXPECT_EQ(run(c, kProbe, 1.0, 2.0, 16), kProbe / 2);
  EXPECT_TRUE(c.chose_team());
  EXPECT_EQ(c.interval(), TeamChoice::kReprobe);
}

// Team steps that could not run as a team are not reported; a probe that
// heard of none keeps one thread (and reads no empty list).
TEST(TeamChoice, AProbeWithoutTeamStepsKeepsOneThread) {
  TeamChoice c;
  for (long s = 0; s < kProbe + 10; ++s) {
    if (!c.next(8)) c.record(1.0);
  }
  EXPECT_FALSE(c.chose_team());
}

TEST(TeamChoice, OnAndOffIgnoreTheClock) {
  TeamChoice on(TeamMode::on), off(TeamMode::off);
  EXPECT_EQ(run(on, 200, 9.0, 1.0), 200);
  EXPECT_EQ(run(off, 200, 1.0, 9.0), 0);
}

}  // namespace
}  // namespace handgrad
