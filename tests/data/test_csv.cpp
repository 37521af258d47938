#include <gtest/gtest.h>

#include "handgrad/data/csv.h"
#include "handgrad/core/error.h"
#include "handgrad/data/generators.h"

namespace handgrad {
namespace {

// The error message for parsing `text` as "f.csv"; empty if it parsed.
std::string error_of(const std::string& text, CsvOptions o = {}) {
  try {
    parse_csv(text, "f.csv", o);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Csv, ParsesHeaderCommentsAndCrlf) {
  const Dataset d =
      parse_csv("x1,x2,label\r\n# a comment\r\n0.5, -1e-3 ,1\r\n\r\n2,3,0\r\n", "f.csv");
  ASSERT_EQ(d.size(), 2);
  EXPECT_EQ(d.sample_dims, Dims{2});
  EXPECT_EQ(d.num_classes, 2);
  EXPECT_FLOAT_EQ(d.x[0], 0.5f);
  EXPECT_FLOAT_EQ(d.x[1], -1e-3f);
  EXPECT_EQ(d.y, (std::vector<int>{1, 0}));
}

TEST(Csv, AnyFeatureCountAndIntegralFloatLabels) {
  const Dataset d = parse_csv("1,2,3,4,2.0\n5,6,7,8,0\n", "f.csv");
  EXPECT_EQ(d.sample_dims, Dims{4});
  EXPECT_EQ(d.num_classes, 3);
  EXPECT_EQ(d.y[0], 2);
}

TEST(Csv, ErrorsNameFileAndLine) {
  EXPECT_EQ(error_of(""), "f.csv: no data rows (expected 'x1,...,xF,label' lines)");
  EXPECT_EQ(error_of("x1,x2,label\n"), "f.csv: no data rows (expected 'x1,...,xF,label' lines)");
  EXPECT_EQ(error_of("1,2,0\n1,abc,0\n"), "f.csv:2: column 2 'abc' is not a number");
  EXPECT_EQ(error_of("1,2,0\n1,2,3,0\n"),
            "f.csv:2: expected 3 columns (2 features and a label), found 4");
  EXPECT_EQ(error_of("1,2,0\n1,,0\n"), "f.csv:2: column 2 '' is not a number");
  EXPECT_EQ(error_of("1,nan,0\n"), "f.csv:1: column 2 'nan' is not a finite number");
  EXPECT_EQ(error_of("inf,1,0\n"), "f.csv:1: column 1 'inf' is not a finite number");
  EXPECT_EQ(error_of("1e999,1,0\n"), "f.csv:1: column 1 '1e999' is not a finite number");
  EXPECT_EQ(error_of("1,2,-1\n"), "f.csv:1: label '-1' is negative (labels are 0..K-1)");
  EXPECT_EQ(error_of("1,2,0.5\n"), "f.csv:1: label '0.5' is not an integer");
  EXPECT_EQ(error_of("1,2,1000\n"), "f.csv:1: label '1000' is out of range (labels are 0..999)");
  CsvOptions two;
  two.num_classes = 2;
  EXPECT_EQ(error_of("1,2,0\n\n3,4,2\n", two),
            "f.csv:3: label '2' is out of range (labels are 0..1)");
  CsvOptions three_features;
  three_features.num_features = 3;
  EXPECT_EQ(error_of("1,2,0\n", three_features),
            "f.csv:1: expected 4 columns (3 features and a label), found 3");
  EXPECT_EQ(error_of("7\n"),
            "f.csv:1: expected 'x1,...,xF,label' (at least 2 columns), found 1 column");
}

TEST(Csv, MissingFile) {
  EXPECT_THROW(read_csv("/nonexistent/dir/x.csv"), Error);
}

TEST(Csv, FormatRoundTripsExactly) {
  GenOptions o;
  o.n = 64;
  const Dataset d = generate("spirals", o);
  const Dataset back = parse_csv(format_csv(d), "mem.csv");
  EXPECT_EQ(back.x, d.x);
  EXPECT_EQ(back.y, d.y);
  EXPECT_EQ(format_csv(d).substr(0, 12), "x1,x2,label\n");
}

}  // namespace
}  // namespace handgrad
