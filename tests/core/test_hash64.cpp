// XXH64 against the reference implementation's published values.
#include <gtest/gtest.h>

#include <string>

#include "handgrad/core/hash64.h"

namespace handgrad {
namespace {

uint64_t of(const std::string& s, uint64_t seed = 0) {
  return xxh64(s.data(), s.size(), seed);
}

TEST(Hash64, MatchesTheReferenceValues) {
  EXPECT_EQ(of(""), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(of("abc"), 0x44BC2CF5AD770999ULL);
  // 39 bytes: the 32-byte stripes, an 8-byte word, and single bytes.
  EXPECT_EQ(of("Nobody inspects the spammish repetition"), 0xFBCEA83C8A378BF1ULL);
  EXPECT_EQ(hex64(0xEF46DB3751D8E999ULL), "ef46db3751d8e999");
}

TEST(Hash64, EveryByteAndTheSeedMatter) {
  std::string s(100, 'x');
  const uint64_t base = of(s);
  for (size_t i = 0; i < s.size(); ++i) {
    std::string t = s;
    t[i] = 'y';
    EXPECT_NE(of(t), base) << i;
  }
  EXPECT_NE(of(s, 1), base);
  EXPECT_NE(of(s + "x"), base);
}

}  // namespace
}  // namespace handgrad
