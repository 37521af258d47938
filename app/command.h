#pragma once
// Subcommands register themselves, so adding one is adding one file.
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "handgrad/core/error.h"

namespace handgrad::cli {

// setup() adds the subcommand's options to `sub` and returns the function
// that runs it (returning the exit code) once parsing succeeded.
// A command with a non-empty `parent` is nested: {"data", "fetch"} is
// `handgrad data fetch`. The parent is created on first use, so two files can
// add subcommands to the same parent without knowing each other.
struct Command {
  std::string name;
  std::string help;
  std::function<std::function<int()>(CLI::App& sub)> setup;
  std::string parent = {};
};

std::vector<Command>& commands();

// The one line (no newline) an error is reported with: a library error as it
// is, a FieldError naming its flag ("--lr: must be > 0"). Code: main.cpp.
std::string message(const Error& e);
std::string one_line(const char* msg);
// As message(), for a field ("" = none) and a message given apart.
std::string field_line(const std::string& field, const char* msg);

// For --arch: an empty string (`--arch "$UNSET"`) must be an error, not a
// silent fall-back to the default preset.
inline const CLI::Validator kNonEmptyArch{
    [](std::string& s) { return s.empty() ? std::string("the architecture string is empty") : ""; },
    "ARCH"};

// --preset, --arch, --input: the network a command builds with
// resolve_net() (arch.h). --arch "" is refused like everywhere else.
inline void add_net_flags(CLI::App& sub, std::string& preset, std::string& arch,
                          std::string& input) {
  sub.add_option("--preset", preset, "seed-cnn (default), seed-mlp or seed-2d");
  sub.add_option("--arch", arch, "architecture string (with --input)")->check(kNonEmptyArch);
  sub.add_option("--input", input, "input shape, e.g. 1x28x28 or 2");
}

struct Register {
  explicit Register(Command c) { commands().push_back(std::move(c)); }
};

}  // namespace handgrad::cli
