// libcurl with short timeouts: an offline machine fails within seconds and
// falls back to another source.
#include "data/download.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#ifdef HANDGRAD_HAVE_CURL
#include <curl/curl.h>
#endif

namespace handgrad {

#ifdef HANDGRAD_HAVE_CURL
namespace {
size_t write_to_file(char* p, size_t size, size_t n, void* f) {
  return std::fwrite(p, size, n, static_cast<std::FILE*>(f));
}

// Downloads url into `path`; returns "" on success, else the reason.
// `unreachable` is set when no connection could be made at all.
std::string download_impl(const std::string& url, const std::string& path, bool& unreachable) {
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
}  // namespace

std::string download_url(const std::string& url, const std::string& path, bool& unreachable) {
  return download_impl(url, path, unreachable);
}
#else
std::string download_url(const std::string&, const std::string&, bool& unreachable) {
  unreachable = true;
  return "handgrad was built without libcurl";
}
#endif

}  // namespace handgrad
