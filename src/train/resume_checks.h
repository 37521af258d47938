#pragma once
// What --resume checks beyond the run's own files (issue 14, item 8): the
// data is the one the run started with (state.json holds the content
// hashes of its training and test sets), data paths are stored absolute so
// a resume from another directory reads the same files, and the kernel
// path is recorded so a resume on another one says bit-identity is lost.
#include <string>

#include "checkpoint.h"
#include "handgrad/data/data_source.h"

namespace handgrad {

// --data FILE.csv, --test-data and --data-dir made absolute (a dataset name
// stays as it is), so the settings name the same files from anywhere.
void absolutize_data_paths(DataArgs& d);

// Throws Error naming DIR/state.json when the loaded data's content hashes
// differ from the ones the run recorded (states without hashes: no check).
void check_resumed_data(const TrainState& st, const TrainTest& data, const std::string& dir);

// Records kernel_path() in st.kernels; returns a warning when a resumed run
// had started on another path ("" otherwise).
std::string note_kernel_path(TrainState& st, bool resuming);

}  // namespace handgrad
