// --resume is bit-identical to an uninterrupted run for every optimizer and
// schedule: the optimizer's state (optimizer.safetensors, torch's names) and
// the schedule's position (the step count) come back exactly. From the CLI
// (a run stopped mid-epoch by --iterations, resumed to 2 epochs: constant
// and step schedules, whose rates do not depend on the run's length) and
// through the library (Session::checkpoint() in the middle of an epoch of
// the full-length run: cosine too, whose T_max is the run's length).
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "handgrad/core/safetensors.h"
#include "handgrad/train/session.h"
#include "support/train_fixture.h"

using namespace handgrad::test;

namespace {

std::string data_dir() {
  static const std::string d = synthetic_mnist("resume_optim_data");
  return d;
}

// 600 samples / 16 = 38 steps per epoch; 76 in all.
std::string train_args(const std::string& objective) {
  return "train --preset seed-mlp --data-dir " + data_dir() +
         " --threads 1 --quiet --batch-size 16 --eval-every 25 " + objective;
}

struct Objective {
  std::string name, flags;
};

class ResumeCli : public ::testing::TestWithParam<Objective> {};

TEST_P(ResumeCli, MidEpochIsBitIdentical) {
  const Objective& c = GetParam();
  const std::string full = temp_dir("full_" + c.name), d = temp_dir("mid_" + c.name);
  const auto f = run_cli(train_args(c.flags) + " --epochs 2 --out " + full);
  ASSERT_EQ(f.code, 0) << f.err;
  const auto first = run_cli(train_args(c.flags) + " --iterations 50 --out " + d);
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_NE(slurp(d + "/model.safetensors"), slurp(full + "/model.safetensors"));
  const auto r = run_cli("train --quiet --resume " + d + " --epochs 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(slurp(d + "/model.safetensors"), slurp(full + "/model.safetensors")) << c.flags;
  EXPECT_EQ(slurp(d + "/optimizer.safetensors"), slurp(full + "/optimizer.safetensors"));
  // The evaluations, and the rates in metrics.csv's last column, are the same.
  EXPECT_EQ(metrics_without_timing(d + "/metrics.csv"),
            metrics_without_timing(full + "/metrics.csv"));
}

INSTANTIATE_TEST_SUITE_P(
    Optimizers, ResumeCli,
    ::testing::Values(Objective{"sgd_nesterov", "--lr 0.05 --nesterov --weight-decay 1e-3"},
                      Objective{"adam", "--optimizer adam --weight-decay 1e-3"},
                      Objective{"adamw", "--optimizer adamw"},
                      Objective{"rmsprop", "--optimizer rmsprop --lr 1e-3 --momentum 0.5"},
                      Objective{"adam_step",
                                "--optimizer adam --lr-schedule step "
                                "--lr-step-epochs 0.5 --lr-gamma 0.5"},
                      Objective{"sgd_mse", "--loss mse --lr 0.2"}),
    [](const auto& info) { return info.param.name; });

// The library: a full-length run checkpointed at step 50 of 76 and resumed.
struct LibCase {
  std::string name, optimizer, schedule;
};

class ResumeSession : public ::testing::TestWithParam<LibCase> {};

handgrad::TrainOptions lib_options(const LibCase& c, const std::string& out) {
  handgrad::TrainOptions o;
  o.preset = "seed-mlp";
  o.data.data_dir = data_dir();
  o.threads = 1;
  o.quiet = true;
  o.plots = false;
  o.batch_size = 16;
  o.eval_every = 25;
  o.optim = handgrad::optimizer_defaults(c.optimizer);
  o.schedule.lr_schedule = c.schedule;
  o.schedule.lr_step_epochs = 0.5;
  o.out_dir = out;
  return o;
}

TEST_P(ResumeSession, CheckpointMidEpochResumesExactly) {
  const LibCase& c = GetParam();
  const std::string full = temp_dir("lib_full_" + c.name), d = temp_dir("lib_mid_" + c.name);
  handgrad::train(lib_options(c, full));
  {
    handgrad::Session s(lib_options(c, d));
    for (int i = 0; i < 50; ++i) s.advance();
    s.checkpoint();
  }
  const handgrad::SafeTensors at50 = handgrad::read_safetensors(d + "/optimizer.safetensors");
  EXPECT_EQ(at50.metadata.at("optimizer"), c.optimizer);
  if (c.optimizer != "sgd") {
    const auto* step = at50.find("1.weight.step");
    ASSERT_NE(step, nullptr);
    EXPECT_EQ(step->data.at(0), 50.0f);
    EXPECT_TRUE(step->shape.empty());
  }
  handgrad::TrainOptions r;
  r.resume = d;
  r.quiet = true;
  r.plots = false;
  const handgrad::TrainResult res = handgrad::train(r);
  EXPECT_EQ(res.steps, 76);
  EXPECT_EQ(slurp(d + "/model.safetensors"), slurp(full + "/model.safetensors"));
  EXPECT_EQ(slurp(d + "/optimizer.safetensors"), slurp(full + "/optimizer.safetensors"));
  EXPECT_EQ(metrics_without_timing(d + "/metrics.csv"),
            metrics_without_timing(full + "/metrics.csv"));
}

INSTANTIATE_TEST_SUITE_P(OptimizersAndSchedules, ResumeSession,
                         ::testing::Values(LibCase{"sgd_cosine", "sgd", "cosine"},
                                           LibCase{"adam_cosine", "adam", "cosine"},
                                           LibCase{"adamw_step", "adamw", "step"},
                                           LibCase{"rmsprop_cosine", "rmsprop", "cosine"}),
                         [](const auto& info) { return info.param.name; });

// A checkpoint of one optimizer does not resume as another's.
TEST(ResumeOptimizer, WrongOptimizerStateIsRefused) {
  const std::string d = temp_dir("wrong_state");
  ASSERT_EQ(run_cli(train_args("--optimizer adam") + " --iterations 10 --out " + d).code, 0);
  // state.json says adam; make optimizer.safetensors claim rmsprop.
  handgrad::SafeTensors st = handgrad::read_safetensors(d + "/optimizer.safetensors");
  st.metadata["optimizer"] = "rmsprop";
  handgrad::write_safetensors(d + "/optimizer.safetensors", st);
  const auto r = run_cli("train --quiet --resume " + d + " --iterations 20");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("optimizer.safetensors: holds the state of optimizer 'rmsprop', the run "
                       "uses 'adam'"),
            std::string::npos)
      << r.err;
}

}  // namespace
