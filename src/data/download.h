#pragma once
// One HTTP(S)/file:// download with libcurl, when handgrad was built with it.
#include <string>

namespace handgrad {

// Downloads url into `path` (created or truncated); returns "" on success,
// else the reason. `unreachable` is set when no connection could be made at
// all (so callers stop trying that host). Without libcurl it always fails.
std::string download_url(const std::string& url, const std::string& path, bool& unreachable);

}  // namespace handgrad
