// The `handgrad` command line: dispatches to the subcommands in app/cmd_*.cpp
// and turns every failure into one line on stderr and an exit code.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <tuple>

#include "command.h"
#include "handgrad/core/error.h"
#include "handgrad/core/signals.h"
#include "handgrad/dist/job.h"

namespace handgrad::cli {
std::vector<Command>& commands() {
  static std::vector<Command> c;
  return c;
}

namespace {
// Errors quote what the user gave (architecture strings, CSV fields, tensor
// names from a file, paths). A newline or control character there must not
// break the promise of exactly one line on stderr, bytes that are not UTF-8
// (a binary file read as CSV) must not reach the terminal raw, and a huge
// quote (a 12,000-layer architecture, a 5,000-character path) keeps only its
// first kMaxQuote characters. A quote is a '...' span, or outside one, a run
// of characters without a space.
constexpr size_t kMaxQuote = 200;

// Bytes in the valid UTF-8 sequence starting at p, 0 if it is not one.
size_t utf8_length(const unsigned char* p, const unsigned char* end) {
  const unsigned c = *p;
  const size_t n = c >= 0xc2 && c <= 0xdf   ? 2
                   : c >= 0xe0 && c <= 0xef ? 3
                   : c >= 0xf0 && c <= 0xf4 ? 4
                                            : 0;
  if (n == 0 || static_cast<size_t>(end - p) < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((p[i] & 0xc0) != 0x80) return 0;
  }
  return n;
}

bool opens_quote(const std::string& out) {
  return out.empty() || std::string_view(" (=:[,").find(out.back()) != std::string_view::npos;
}

bool closes_quote(const unsigned char* next, const unsigned char* end) {
  return next == end ||
         std::string_view(" ):,;.]").find(static_cast<char>(*next)) != std::string_view::npos;
}
}  // namespace

std::string one_line(const char* msg) {
  std::string out;
  const auto* p = reinterpret_cast<const unsigned char*>(msg);
  const unsigned char* end = p + std::strlen(msg);
  bool quoted = false;
  size_t run = 0, cut = 0;  // characters in the current quote or word; dropped from it
  auto end_run = [&] {
    if (cut > 0) out += "...(" + std::to_string(cut) + " more characters)";
    run = cut = 0;
  };
  while (p < end) {
    const unsigned c = *p;
    if (c == '\'' && !quoted && opens_quote(out)) {
      end_run();
      quoted = true;
      out += *p++;
      continue;
    }
    if (c == '\'' && quoted && closes_quote(p + 1, end)) {
      end_run();
      quoted = false;
      out += *p++;
      continue;
    }
    if (c == ' ' && !quoted) {
      end_run();
      out += *p++;
      continue;
    }
    std::string ch;
    size_t len = 1;
    if (c == '\n') {
      ch = "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      ch = "?";
    } else if (c < 0x80) {
      ch = static_cast<char>(c);
    } else if ((len = utf8_length(p, end)) > 0) {
      ch.assign(reinterpret_cast<const char*>(p), len);
    } else {
      ch = "?";  // not UTF-8
      len = 1;
    }
    p += len;
    if (++run > kMaxQuote) {
      ++cut;
    } else {
      out += ch;
    }
  }
  end_run();
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
  ignore_output_signals();  // a closed pipe or ulimit -f: a write error, not a kill
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
