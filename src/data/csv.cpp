// Reading labelled CSV files; every problem names the file and the line.
#include "handgrad/data/csv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include "handgrad/core/error.h"

namespace handgrad {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> f;
  size_t start = 0;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == ',') {
      f.push_back(trim(line.substr(start, i - start)));
      start = i + 1;
    }
  }
  return f;
}

enum class Num { ok, not_number, out_of_range };

Num parse_number(std::string_view s, double& v) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return Num::not_number;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) return Num::out_of_range;
  if (ec != std::errc() || end != s.data() + s.size()) return Num::not_number;
  return Num::ok;
}

std::string quote(std::string_view s) {
  std::string q(s.substr(0, 40));
  if (s.size() > 40) q += "...";
  return "'" + q + "'";
}

}  // namespace

Dataset parse_csv(const std::string& text, const std::string& path, const CsvOptions& o) {
  Dataset d;
  d.name = path;
  int features = o.num_features;
  const int max_classes = o.num_classes > 0 ? o.num_classes : kMaxCsvClasses;
  int max_label = -1;
  size_t pos = 0;
  int line_no = 0;
  bool first = true;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view line = trim(std::string_view(text).substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    const std::string where = path + ":" + std::to_string(line_no) + ": ";
    const std::vector<std::string_view> f = split_fields(line);
    std::vector<double> v(f.size());
    int numeric = 0;
    for (size_t i = 0; i < f.size(); ++i) numeric += parse_number(f[i], v[i]) == Num::ok;
    if (first && numeric == 0) {  // a header line
      first = false;
      continue;
    }
    first = false;
    if (f.size() < 2) {
      throw Error(where + "expected 'x1,...,xF,label' (at least 2 columns), found 1 column");
    }
    const int row_features = static_cast<int>(f.size()) - 1;
    if (features == 0) features = row_features;
    if (row_features != features) {
      throw Error(where + "expected " + std::to_string(features + 1) + " columns (" +
                  std::to_string(features) + " features and a label), found " +
                  std::to_string(f.size()));
    }
    for (size_t i = 0; i < f.size(); ++i) {
      const std::string col = "column " + std::to_string(i + 1) + " ";
      const Num r = parse_number(f[i], v[i]);
      if (r == Num::not_number) throw Error(where + col + quote(f[i]) + " is not a number");
      if (r == Num::out_of_range || !std::isfinite(v[i])) {
        throw Error(where + col + quote(f[i]) + " is not a finite number");
      }
    }
    const double label = v.back();
    const std::string lcol = "label " + quote(f.back());
    if (label < 0) throw Error(where + lcol + " is negative (labels are 0..K-1)");
    if (label != std::floor(label)) throw Error(where + lcol + " is not an integer");
    if (label >= max_classes) {
      throw Error(where + lcol + " is out of range (labels are 0.." +
                  std::to_string(max_classes - 1) + ")");
    }
    for (int i = 0; i < features; ++i) d.x.push_back(static_cast<float>(v[static_cast<size_t>(i)]));
    d.y.push_back(static_cast<int>(label));
    max_label = std::max(max_label, d.y.back());
  }
  if (d.y.empty()) throw Error(path + ": no data rows (expected 'x1,...,xF,label' lines)");
  d.sample_dims = {features};
  d.num_classes = o.num_classes > 0 ? o.num_classes : max_label + 1;
  return d;
}

Dataset read_csv(const std::string& path, const CsvOptions& o) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(path + ": read error");
  return parse_csv(ss.str(), path, o);
}

}  // namespace handgrad
