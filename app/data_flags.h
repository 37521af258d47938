#pragma once
// The --data family of flags, shared by train, eval (and boundary).
#include <CLI/CLI.hpp>

#include "handgrad/data/data_source.h"

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
  sub.add_option("--n", d.n, "generators: number of points")->capture_default_str();
  sub.add_option("--noise", d.noise, "generators: noise level (default: the generator's)");
  sub.add_option("--data-seed", d.seed, "generators and splits: random seed")
      ->capture_default_str();
  sub.add_option("--test-fraction", d.test_fraction,
                 "generators and CSV without --test-data: test share")
      ->capture_default_str();
  return data;
}

}  // namespace handgrad::cli
