// Writing labelled CSV files (the format read_csv reads).
#include <cstdio>

#include "handgrad/data/csv.h"
#include "handgrad/core/files.h"

namespace handgrad {

std::string format_csv(const Dataset& d) {
  const size_t f = d.sample_size();
  std::string out;
  for (size_t j = 0; j < f; ++j) out += "x" + std::to_string(j + 1) + ",";
  out += "label\n";
  char buf[32];
  for (int i = 0; i < d.size(); ++i) {
    const float* x = d.sample(i);
    for (size_t j = 0; j < f; ++j) {
      // %.9g: enough digits for any float to read back bit-identically.
      std::snprintf(buf, sizeof buf, "%.9g,", static_cast<double>(x[j]));
      out += buf;
    }
    out += std::to_string(d.y[static_cast<size_t>(i)]) + "\n";
  }
  return out;
}

void write_csv(const std::string& path, const Dataset& d) {
  write_file_atomic(path, format_csv(d));
}

}  // namespace handgrad
