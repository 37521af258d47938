// handgrad lab: the local web lab (src/lab). Prints the address to open,
// serves until Ctrl-C (SIGINT) or SIGTERM, then stops every run at its next
// step, lets the files being written finish, and exits 0.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <ctime>

#include "command.h"
#include "handgrad/core/error.h"
#include "lab.h"

namespace handgrad::cli {
namespace {

int run(lab::LabOptions o, bool quiet) {
  // The signals are taken by sigtimedwait() below, not by a handler: block
  // them before any thread starts, so every thread inherits the mask.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  const bool loopback = o.host == "127.0.0.1" || o.host == "localhost" || o.host == "::1";
  lab::LabServer server(o);
  server.start();
  if (!loopback) {
    std::fprintf(stderr,
                 "handgrad: warning: --host %s: the lab is reachable from other machines; "
                 "anyone with the token can train and read models on this one\n",
                 o.host.c_str());
  }
  std::printf("handgrad lab: open %s\n", server.url().c_str());
  if (!quiet) {
    std::printf("runs are written to %s; Ctrl-C stops the lab\n", server.out_dir().c_str());
  }
  std::fflush(stdout);
  const timespec poll{0, 200'000'000};
  int sig = -1;
  while (server.running()) {
    sig = sigtimedwait(&sigs, nullptr, &poll);
    if (sig == SIGINT || sig == SIGTERM) break;
  }
  std::fprintf(stderr, "handgrad lab: %s, stopping\n",
               sig == SIGINT    ? "interrupted"
               : sig == SIGTERM ? "terminated"
                                : "server ended");
  server.stop();
  std::fprintf(stderr, "handgrad lab: stopped\n");
  return 0;
}

const Register reg{
    {"lab", "Start the web lab: train and look inside networks in the browser", [](CLI::App& sub) {
       auto o = std::make_shared<lab::LabOptions>();
       auto quiet = std::make_shared<bool>(false);
       sub.add_option("--port", o->port, "port to listen on (0: any free one)")
           ->capture_default_str();
       sub.add_option("--host", o->host, "address to bind (anything but loopback warns)")
           ->capture_default_str();
       sub.add_option("--token", o->token, "the API token (default: a random one per start)");
       sub.add_option("--data-dir", o->data_dir,
                      "folder with mnist/ and fashion-mnist/; the page may open models under it");
       sub.add_option("--model", o->model,
                      "a model.safetensors (or a run folder) to open in the MNIST tab");
       sub.add_option("--out", o->out_dir, "folder for the lab's runs (default: runs/lab-<time>)");
       sub.add_option("--max-runs", o->max_runs, "live runs in all")->capture_default_str();
       sub.add_option("--max-streams", o->max_streams, "open event streams")->capture_default_str();
       sub.add_flag("--quiet", *quiet, "print only the address");
       return [o, quiet] {
         if (o->max_runs < 1 || o->max_streams < 1) {
           throw UsageError("--max-runs/--max-streams: must be >= 1");
         }
         return run(*o, *quiet);
       };
     }}};

}  // namespace
}  // namespace handgrad::cli
