#include "handgrad/data/batch_order.h"

#include <charconv>

#include "handgrad/core/error.h"
#include "handgrad/core/files.h"

namespace handgrad {

std::vector<std::vector<int>> read_batch_order(const std::string& path, int num_samples) {
  const std::string text = read_file(path);
  std::vector<std::vector<int>> steps;
  size_t pos = 0;
  long line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    ++line_no;
    const std::string where = path + ":" + std::to_string(line_no) + ": ";
    std::vector<int> batch;
    size_t i = pos;
    while (i < end) {
      const char c = text[i];
      if (c == ' ' || c == '\t' || c == '\r' || c == ',') {
        ++i;
        continue;
      }
      long v = -1;
      const auto [p, ec] = std::from_chars(text.data() + i, text.data() + end, v);
      size_t stop = static_cast<size_t>(p - text.data());
      if (ec != std::errc() || v < 0 ||
          (stop < end && text[stop] != ' ' && text[stop] != '\t' && text[stop] != '\r' &&
           text[stop] != ',')) {
        size_t tok_end = i;
        while (tok_end < end && text[tok_end] != ' ' && text[tok_end] != '\t') ++tok_end;
        throw Error(where + "'" + text.substr(i, tok_end - i) +
                    "' is not a sample index (expected integers >= 0)");
      }
      if (v >= num_samples) {
        throw Error(where + "index " + std::to_string(v) +
                    " is out of range: the training set has " + std::to_string(num_samples) +
                    " samples (0.." + std::to_string(num_samples - 1) + ")");
      }
      batch.push_back(static_cast<int>(v));
      i = stop;
    }
    // A blank last line (the file ends with "\n") is not a step.
    if (batch.empty()) {
      if (end == text.size()) break;
      throw Error(where + "empty line: every line must list the sample indices of one step");
    }
    steps.push_back(std::move(batch));
    pos = end + 1;
  }
  if (steps.empty()) throw Error(path + ": no steps (the file is empty)");
  return steps;
}

}  // namespace handgrad
