#pragma once
// Signals a long run must survive or answer (issue 14, item 6).
//
// ignore_output_signals(): SIGPIPE and SIGXFSZ are ignored, so a closed
// pipe (`train --seeds 4 | head -1`) or a file size limit (`ulimit -f`)
// turns into a write error (EPIPE, EFBIG) instead of killing the process
// midway with a temporary file left behind. Writers report EFBIG as an
// error (io.h); output to a closed stdout is simply lost while the run
// finishes and saves its models.
//
// Stop requests: after install_stop_handlers(), the first SIGINT or SIGTERM
// only records itself; a training loop polls stop_requested() between
// steps, finishes the step, writes a checkpoint, prints one line
// ("interrupted at step S; resume with ...") and exits with
// stop_exit_code() (130 for SIGINT, 143 for SIGTERM). A second signal of
// either kind kills the process at once (the handler is one-shot), for a
// user who really wants out. Install the handlers only where something
// polls the flag: otherwise Ctrl-C would be ignored until the second press.
namespace handgrad {

void ignore_output_signals();

void install_stop_handlers();
// Restores the default actions (and clears the request).
void remove_stop_handlers();
// 0, or the signal (SIGINT / SIGTERM) that asked the run to stop.
int stop_requested();
// Forgets a request (tests; a library caller that handled it).
void clear_stop_request();
// 128 + sig: what a shell reports for a process killed by `sig`.
int stop_exit_code(int sig);

}  // namespace handgrad
