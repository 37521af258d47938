#pragma once
// Labelled points as CSV: one sample per line, "x1,...,xF,label", labels
// 0..K-1. A first line whose fields are all non-numeric is a header; blank
// lines and lines starting with '#' are skipped; CRLF line ends are fine.
#include <string>

#include "handgrad/data/dataset.h"

namespace handgrad {

// Labels above this are refused when the caller does not know the class count.
inline constexpr int kMaxCsvClasses = 1000;

struct CsvOptions {
  int num_features = 0;  // > 0: every row must have exactly this many features
  int num_classes = 0;   // > 0: labels must be < num_classes (else < kMaxCsvClasses)
};

// Reads a CSV file into a Dataset with sample_dims {F} and num_classes =
// options.num_classes, or the largest label + 1. Throws Error with one line
// "FILE:LINE: problem" for an unreadable or empty file, a non-numeric or
// non-finite field, a row with a different column count, or a label that is
// negative, not an integer or out of range.
Dataset read_csv(const std::string& path, const CsvOptions& options = {});
// The same on text already in memory; `path` only names it in errors.
Dataset parse_csv(const std::string& text, const std::string& path, const CsvOptions& options = {});

// "x1,x2,label" header, then one row per sample with 9 significant digits
// (floats survive the round trip exactly).
std::string format_csv(const Dataset& d);
// format_csv written atomically (write_file_atomic).
void write_csv(const std::string& path, const Dataset& d);

}  // namespace handgrad
