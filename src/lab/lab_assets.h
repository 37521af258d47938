#pragma once
// The page's files (web/), compiled into the binary by cmake/embed_web.cmake.
#include <cstddef>
#include <vector>

namespace handgrad::lab {

struct Asset {
  const char* path;  // relative to web/: "index.html", "js/playground.js"
  const char* mime;
  const unsigned char* data;
  size_t size;
};

const std::vector<Asset>& assets();

}  // namespace handgrad::lab
