// SHA-256 against the FIPS 180-4 / NIST example vectors and a real file.
#include <gtest/gtest.h>
#include <unistd.h>

#include "handgrad/core/error.h"
#include "handgrad/core/files.h"
#include "handgrad/core/sha256.h"
#include "support/test_util.h"

using namespace handgrad::test;  // the tests' helpers (support/test_util.h)

namespace {

using handgrad::sha256_hex;

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalEqualsOneShotAcrossBlockBoundaries) {
  std::string msg;
  for (int i = 0; i < 300; ++i) msg.push_back(static_cast<char>(i * 7));
  for (size_t len : {55u, 56u, 63u, 64u, 65u, 119u, 128u, 300u}) {
    const std::string m = msg.substr(0, len);
    for (size_t step : {1u, 3u, 64u, 100u}) {
      handgrad::Sha256 s;
      for (size_t i = 0; i < m.size(); i += step)
        s.update(m.data() + i, std::min(step, m.size() - i));
      EXPECT_EQ(s.hex(), sha256_hex(m)) << len << " in steps of " << step;
    }
  }
  EXPECT_NE(sha256_hex(msg.substr(0, 55)), sha256_hex(msg.substr(0, 56)));
}

TEST(Sha256, File) {
  const std::string p = ::testing::TempDir() + "sha_" + std::to_string(::getpid());
  handgrad::write_file_atomic(p, "abc");
  EXPECT_EQ(handgrad::sha256_file(p), sha256_hex("abc"));
  ::unlink(p.c_str());
  EXPECT_THROW(handgrad::sha256_file(p), handgrad::Error);
  const std::string mnist = handgrad::test::mnist_dir();
  if (mnist.empty()) GTEST_SKIP() << "no MNIST: set HANDGRAD_DATA to check a real file's sum";
  EXPECT_EQ(handgrad::sha256_file(mnist + "/t10k-labels-idx1-ubyte.gz"),
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6");
}

}  // namespace
