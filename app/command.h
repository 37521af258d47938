#pragma once
// Subcommands register themselves, so adding one is adding one file.
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace handgrad::cli {

// setup() adds the subcommand's options to `sub` and returns the function
// that runs it (returning the exit code) once parsing succeeded.
struct Command {
  std::string name;
  std::string help;
  std::function<std::function<int()>(CLI::App& sub)> setup;
};

std::vector<Command>& commands();

struct Register {
  explicit Register(Command c) { commands().push_back(std::move(c)); }
};

}  // namespace handgrad::cli
