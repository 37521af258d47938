// The `handgrad` command line: dispatches to the subcommands in app/cmd_*.cpp
// and turns every failure into one line on stderr and an exit code.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <tuple>

#include "command.h"
#include "handgrad/core/error.h"
#include "handgrad/dist/job.h"

namespace handgrad::cli {
std::vector<Command>& commands() {
  static std::vector<Command> c;
  return c;
}

// Errors quote what the user gave (architecture strings, tensor names from a
// file); a newline or control character there must not break the promise of
// exactly one line on stderr.
std::string one_line(const char* msg) {
  std::string out;
  for (const char* p = msg; *p; ++p) {
    const unsigned char c = static_cast<unsigned char>(*p);
    if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      out += '?';
    } else {
      out += *p;
    }
  }
  return out;
}

std::string field_line(const std::string& field, const char* msg) {
  if (field.empty()) return one_line(msg);
  std::string flag = field;
  for (char& c : flag) c = c == '_' ? '-' : c;
  return "--" + flag + ": " + one_line(msg);
}

// A library error names the setting; the command line names the flag.
std::string message(const Error& e) {
  const auto* f = dynamic_cast<const FieldError*>(&e);
  return field_line(f ? f->field() : "", e.what());
}

namespace {

std::string parent_help(const std::string& name) {
  if (name == "data") return "Get MNIST (data fetch), write 2-D data sets as CSV (data make)";
  return name + " commands";
}
}  // namespace
}  // namespace handgrad::cli

int main(int argc, char** argv) {
  using namespace handgrad;
  CLI::App app{"handgrad: neural networks with hand-written gradients"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "handgrad " HANDGRAD_VERSION);
  auto& cmds = cli::commands();
  std::sort(cmds.begin(), cmds.end(), [](auto& a, auto& b) {
    return std::tie(a.parent, a.name) < std::tie(b.parent, b.name);
  });
  std::function<int()> run;
  for (auto& c : cmds) {
    CLI::App* parent = &app;
    if (!c.parent.empty()) {
      parent = nullptr;
      for (CLI::App* existing : app.get_subcommands({})) {
        if (existing->get_name() == c.parent) parent = existing;
      }
      if (!parent) {
        parent = app.add_subcommand(c.parent, cli::parent_help(c.parent));
        parent->require_subcommand(1);
      }
    }
    CLI::App* sub = parent->add_subcommand(c.name, c.help);
    auto runner = std::make_shared<std::function<int()>>();
    *runner = c.setup(*sub);
    sub->callback([runner, &run] { run = *runner; });
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Under mpirun every rank parses the same words: rank 0 says it once.
    if (dist::launched_rank() != 0) return kExitUsage;
    std::fprintf(stderr, "handgrad: error: %s (see --help)\n", cli::one_line(e.what()).c_str());
    return kExitUsage;
  } catch (const Error& e) {
    std::fprintf(stderr, "handgrad: error: %s\n", cli::message(e).c_str());
    return e.exit_code();
  }
  try {
    return run ? run() : kExitUsage;
  } catch (const Error& e) {
    std::fprintf(stderr, "handgrad: error: %s\n", cli::message(e).c_str());
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "handgrad: error: out of memory\n");
    return kExitFailure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "handgrad: error: %s\n", cli::one_line(e.what()).c_str());
    return kExitFailure;
  }
}
