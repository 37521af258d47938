// The train command under mpirun: start MPI, train, report on rank 0, and
// turn every failure into one line (see train_mpi.h).
#include "train_mpi.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>

#include "command.h"
#include "handgrad/core/error.h"
#include "handgrad/dist/job.h"

namespace handgrad::cli {

namespace {

// What a SIGTERM prints. mpirun sends it to every rank left when one has
// died (or on Ctrl-C); rank 0 then says where the run stands. Written only
// before the handler is installed, read in it (async-signal-safe: write()).
char g_head[256], g_tail[1024];
std::atomic<long> g_step{0};
bool g_speak = false;

void write_all(const char* s, size_t n) {
  while (n > 0) {
    const ssize_t k = ::write(2, s, n);
    if (k <= 0) return;
    s += k;
    n -= static_cast<size_t>(k);
  }
}

void on_sigterm(int) {
  if (g_speak) {
    char num[24];
    int i = sizeof num;
    long v = g_step.load();
    do {
      num[--i] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v > 0 && i > 0);
    write_all(g_head, std::strlen(g_head));
    write_all(num + i, sizeof num - static_cast<size_t>(i));
    write_all(g_tail, std::strlen(g_tail));
  }
  ::_exit(kExitFailure);
}

void install_sigterm_line(const dist::DistStats& s) {
  g_speak = s.rank == 0;
  g_step = s.first_step;
  std::snprintf(g_head, sizeof g_head,
                "handgrad: error: rank 0 of %d: stopped by SIGTERM (mpirun stops every rank "
                "when one fails or on Ctrl-C) after step ",
                s.world_size);
  std::snprintf(g_tail, sizeof g_tail,
                "; %s keeps its last checkpoint: `mpirun ... handgrad train --resume %s` "
                "continues from it\n",
                s.out_dir.c_str(), s.out_dir.c_str());
  struct sigaction sa {};
  sa.sa_handler = on_sigterm;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
}

void announce(const dist::DistStats& s) {
  std::fprintf(stderr,
               "mpi: %d ranks x %d thread(s); each batch is cut into up to %d slices, summed in "
               "slice order: the result of one process with --threads %d\n",
               s.world_size, s.threads_per_rank, s.slices, s.slices);
}

std::string agreed_line(const dist::AgreedError& e) {
  std::string m = field_line(e.field(), e.what());
  if (e.failed_rank() != 0) {
    m = "rank " + std::to_string(e.failed_rank()) + " of " + std::to_string(e.world_size()) + ": " +
        m;
  }
  return m;
}

}  // namespace

void add_mpi_flags(CLI::App& sub, MpiFlags& f) {
  sub.add_flag("--check-sync", f.check_sync,
               "under mpirun: compare a checksum of the parameters across ranks after every "
               "step (a difference stops the run)");
  sub.add_option("--mpi-timeout", f.timeout,
                 "under mpirun: end the job when a collective waits longer than S seconds "
                 "(0: never)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
}

bool launched_by_mpi() {
  return dist::launched_world_size() > 1;
}

int run_train_mpi(const TrainOptions& t, const MpiFlags& f, const MpiReport& report) {
  std::unique_ptr<dist::Job> job;
  try {
    job = std::make_unique<dist::Job>();
  } catch (const Error& e) {  // built without MPI: every rank knows
    if (dist::launched_rank() == 0)
      std::fprintf(stderr, "handgrad: error: %s\n", message(e).c_str());
    return e.exit_code();
  }
  const int rank = job->rank(), size = job->size();
  dist::DistOptions d;
  d.check_sync = f.check_sync;
  d.timeout_seconds = f.timeout;
  d.on_start = [&t](const dist::DistStats& s) {
    install_sigterm_line(s);
    if (s.rank == 0 && !t.quiet) announce(s);
  };
  d.on_step = [](long step) { g_step = step; };
  try {
    dist::DistStats stats;
    const TrainResult r = dist::train_distributed(*job, t, d, &stats);
    if (rank == 0) report(r, stats);
    return 0;
  } catch (const dist::AgreedError& e) {
    if (rank == 0) std::fprintf(stderr, "handgrad: error: %s\n", agreed_line(e).c_str());
    return e.exit_code();
  } catch (const Error& e) {
    std::fprintf(stderr, "handgrad: error: rank %d of %d: %s\n", rank, size, message(e).c_str());
    job->abort(e.exit_code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "handgrad: error: rank %d of %d: %s\n", rank, size,
                 one_line(e.what()).c_str());
    job->abort(kExitFailure);
  }
}

}  // namespace handgrad::cli
