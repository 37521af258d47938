// `mpirun -np N handgrad train`, run for real (Open MPI's mpirun, N
// processes on this host over shared memory / loopback): N ranks with one
// thread each end bit-identical to one process with N threads, resume on
// any number of ranks, keep identical weights on every rank, and fail with
// one line naming the rank that could not read its data. Skipped when the
// build has no MPI.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "support/train_fixture.h"

using namespace handgrad::test;

namespace {

// Real MNIST when the tests have it, else the synthetic IDX files: these
// tests are about bits, not accuracy.
const std::string& data_dir() {
  static const std::string* d = [] {
    const std::string m = mnist_dir();
    return new std::string(m.empty() ? synthetic_mnist("mpi_data", 640, 200) : m);
  }();
  return *d;
}

// seed-cnn at batch 64: a batch one process splits over 2 and over 4 threads.
std::string train_args() {
  return "train --preset seed-cnn --data-dir " + data_dir() +
         " --train-limit 640 --test-limit 200 --batch-size 64 --lr 0.05 --quiet";
}

std::string handgrad_under(int np) {
  return mpirun(np) + " " + HANDGRAD_BIN + " ";
}

#define SKIP_WITHOUT_MPI()                                     \
  if (mpirun(1).empty())                                       \
  GTEST_SKIP() << "built without MPI (HANDGRAD_MPI off or no " \
                  "libopenmpi-dev)"

nlohmann::json last_json_line(const std::string& out) {
  const size_t end = out.find_last_not_of('\n');
  const size_t begin = out.rfind('\n', end);
  return nlohmann::json::parse(out.substr(begin == std::string::npos ? 0 : begin + 1));
}

class RanksVsThreads : public ::testing::TestWithParam<int> {};

TEST_P(RanksVsThreads, NRanksOfOneThreadAreOneProcessOfNThreads) {
  SKIP_WITHOUT_MPI();
  const int n = GetParam();
  const std::string one = temp_dir("mpi_threads_" + std::to_string(n));
  const std::string many = temp_dir("mpi_ranks_" + std::to_string(n));
  const std::string single = temp_dir("mpi_single_" + std::to_string(n));
  const std::string steps = " --iterations 12";
  const auto a =
      run_cli(train_args() + steps + " --threads " + std::to_string(n) + " --json --out " + one);
  ASSERT_EQ(a.code, 0) << a.err;
  const auto b = run_shell(handgrad_under(n) + train_args() + steps +
                           " --threads 1 --check-sync --json --out " + many);
  ASSERT_EQ(b.code, 0) << b.all;
  EXPECT_EQ(model_difference(one, many), "");
  const nlohmann::json j = last_json_line(b.out);
  EXPECT_EQ(j["world_size"], n);
  EXPECT_EQ(j["mpi"]["slices"], n);
  EXPECT_EQ(j["test_loss"], last_json_line(a.out)["test_loss"])
      << "rank 0 evaluates the same model";
  EXPECT_EQ(last_json_line(a.out)["world_size"], 1);
  // The comparison can fail: one thread sums the batch in another order.
  ASSERT_EQ(run_cli(train_args() + steps + " --threads 1 --out " + single).code, 0);
  EXPECT_NE(model_difference(single, many), "");
}

INSTANTIATE_TEST_SUITE_P(Mpi, RanksVsThreads, ::testing::Values(2, 4));

}  // namespace

namespace {

// A run of R ranks continues on any other number of ranks (or as one
// process) bit-identically: the slice count is the run's `threads` setting,
// kept in its checkpoint, not the rank count. Resumed at an epoch end (step
// 10) on 4 ranks and as one process, and mid-epoch (step 7) on 3 ranks (one
// of them idle: 2 slices per batch).
TEST(MpiResume, ContinuesBitIdenticallyOnOtherRankCounts) {
  SKIP_WITHOUT_MPI();
  namespace fs = std::filesystem;
  const std::string full = temp_dir("mpi_resume_full"), epoch = temp_dir("mpi_resume_epoch"),
                    copy = temp_dir("mpi_resume_copy"), mid = temp_dir("mpi_resume_mid");
  ASSERT_EQ(run_cli(train_args() + " --threads 2 --epochs 2 --out " + full).code, 0);
  const auto a = run_shell(handgrad_under(2) + train_args() + " --epochs 1 --out " + epoch);
  ASSERT_EQ(a.code, 0) << a.all;
  fs::copy(epoch, copy, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  const auto b = run_shell(handgrad_under(2) + train_args() + " --iterations 7 --out " + mid);
  ASSERT_EQ(b.code, 0) << b.all;
  EXPECT_NE(model_difference(full, mid), "");  // not yet where the full run ends

  const auto r4 = run_shell(handgrad_under(4) + "train --quiet --resume " + epoch + " --epochs 2");
  ASSERT_EQ(r4.code, 0) << r4.all;
  EXPECT_EQ(model_difference(full, epoch), "") << "resumed on 4 ranks";
  const auto r1 = run_cli("train --quiet --resume " + copy + " --epochs 2");
  ASSERT_EQ(r1.code, 0) << r1.all;
  EXPECT_EQ(model_difference(full, copy), "") << "resumed as one process";
  const auto r3 =
      run_shell(handgrad_under(3) + "train --quiet --check-sync --resume " + mid + " --epochs 2");
  ASSERT_EQ(r3.code, 0) << r3.all;
  EXPECT_EQ(model_difference(full, mid), "") << "resumed mid-epoch on 3 ranks";
}

// Rank 0 alone prints and writes: each rank runs in a folder of its own
// (mpirun -wdir) with the default, relative run folder; rank 1's stays
// empty, and one report reaches stdout.
TEST(MpiOutput, OnlyRankZeroWrites) {
  SKIP_WITHOUT_MPI();
  namespace fs = std::filesystem;
  const std::string w0 = temp_dir("mpi_wdir0"), w1 = temp_dir("mpi_wdir1");
  const std::string prog = std::string(HANDGRAD_BIN) + " " + train_args() + " --iterations 4";
  const auto r = run_shell(mpirun_base() + " -np 1 -wdir " + w0 + " " + prog + " : -np 1 -wdir " +
                           w1 + " " + prog);
  ASSERT_EQ(r.code, 0) << r.all;
  EXPECT_TRUE(fs::is_empty(w1)) << "rank 1 wrote into its folder";
  ASSERT_TRUE(fs::is_directory(w0 + "/runs"));
  int runs = 0;
  for (const auto& e : fs::directory_iterator(w0 + "/runs")) {
    ++runs;
    EXPECT_TRUE(fs::exists(e.path() / "model.safetensors"));
    EXPECT_TRUE(fs::exists(e.path() / "state.json"));
  }
  EXPECT_EQ(runs, 1);
  size_t reports = 0;
  for (size_t at = r.out.find("test accuracy"); at != std::string::npos;
       at = r.out.find("test accuracy", at + 1)) {
    ++reports;
  }
  EXPECT_EQ(reports, 1u) << r.out;
}

// --check-sync compares the ranks' parameters after every step. The test
// hook HANDGRAD_TEST_PERTURB=1:3 makes rank 1 nudge one gradient value at
// step 3: the check names the step and the rank; unchecked, the run ends
// with silently different weights (what the check is for).
TEST(MpiSync, CheckNamesTheStepWhereRanksDrift) {
  SKIP_WITHOUT_MPI();
  const std::string d = temp_dir("mpi_sync"), u = temp_dir("mpi_sync_unchecked");
  const std::string perturb = " -x HANDGRAD_TEST_PERTURB=1:3 ";
  const auto r = run_shell(mpirun(2) + perturb + HANDGRAD_BIN + " " + train_args() +
                           " --iterations 6 --check-sync --out " + d);
  EXPECT_EQ(r.code, 1) << r.all;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("handgrad: error: --check-sync: the parameters of rank 1 differ from "
                       "rank 0's after step 3"),
            std::string::npos)
      << r.err;
  const auto ok = run_shell(mpirun(2) + perturb + HANDGRAD_BIN + " " + train_args() +
                            " --iterations 6 --out " + u);
  EXPECT_EQ(ok.code, 0) << ok.all;
}

// A rank that cannot read the data (here: its host has no MNIST where
// HANDGRAD_DATA says) fails the whole job at once, with one line that
// names the rank and its error, and no run folder is made.
TEST(MpiFaults, RankWithoutDataFailsTheJobWithItsMessage) {
  SKIP_WITHOUT_MPI();
  namespace fs = std::filesystem;
  const std::string root = temp_dir("mpi_nodata"), wdir = temp_dir("mpi_nodata_wdir");
  fs::create_directory_symlink(data_dir(), root + "/mnist");
  const std::string args = std::string(HANDGRAD_BIN) +
                           " train --preset seed-cnn --data mnist --train-limit 640 --batch-size "
                           "64 --iterations 4 --quiet --out run";
  const std::string home = " HOME=" + root + "/home ";
  const auto t0 = std::chrono::steady_clock::now();
  const auto r =
      run_shell(mpirun_base() + " -wdir " + wdir + " -np 1 env HANDGRAD_DATA=" + root + home +
                args + " : -np 1 env HANDGRAD_DATA=" + root + "/nowhere" + home + args);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.code, 1) << r.all;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_EQ(r.err.rfind("handgrad: error: rank 1 of 2: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("nowhere"), std::string::npos) << "names what it looked for: " << r.err;
  EXPECT_FALSE(fs::exists(wdir + "/run")) << "no run folder for a job that never started";
  EXPECT_LT(secs, 60) << "ended at once, not by a timeout";
}

TEST(MpiInfo, InfoSaysMpi) {
  const auto r = run_cli("info");
  ASSERT_EQ(r.code, 0);
  if (mpirun(1).empty()) {
    EXPECT_NE(r.out.find("mpi: off (built without MPI"), std::string::npos) << r.out;
  } else {
    EXPECT_NE(r.out.find("mpi: Open MPI"), std::string::npos) << r.out;
  }
}

}  // namespace
