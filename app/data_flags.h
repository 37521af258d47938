#pragma once
// The --data family of flags, shared by train, eval and boundary, and the
// one place that decides which of them the data in use reads.
#include <CLI/CLI.hpp>

#include "handgrad/data/data_source.h"
#include "int_flags.h"

namespace handgrad::cli {

// Returns the --data option so callers can tell whether it was given.
inline CLI::Option* add_data_flags(CLI::App& sub, DataArgs& d) {
  CLI::Option* data =
      sub.add_option("--data", d.data,
                     "mnist, fashion-mnist, a 2-D generator or a .csv file (x1,...,xF,label)")
          ->capture_default_str();
  sub.add_option(
      "--data-dir", d.data_dir,
      "folder with the IDX files (else $HANDGRAD_DATA/<name>, ~/.cache/handgrad/<name>)");
  sub.add_option("--test-data", d.test_data, "a separate test set (.csv)");
  sub.add_option("--n", d.n, "generators: number of points")
      ->check(whole<int>(1))
      ->capture_default_str();
  sub.add_option("--noise", d.noise, "generators: noise level >= 0 (default: the generator's)");
  sub.add_option("--data-seed", d.seed, "generators and splits: random seed")
      ->check(whole<uint64_t>())
      ->capture_default_str();
  sub.add_option("--test-fraction", d.test_fraction,
                 "generators and CSV without --test-data: test share")
      ->capture_default_str();
  return data;
}

// Where a command's data comes from: the flags (train, or eval/boundary
// with --data), a model's metadata (eval/boundary without --data: the
// given flags are laid over the model's), or a resumed run's state.json.
enum class DataFrom { kFlags, kModel, kResume };

// The data a command uses. Every data flag given that this data would not
// read is refused (UsageError: the flag and why, exit 2) rather than
// ignored; so is --noise below 0. `model`: the model's data (kModel).
DataArgs resolve_data_flags(const CLI::App& sub, const DataArgs& typed, DataFrom from,
                            const DataArgs& model = {});

}  // namespace handgrad::cli
