// Memory limits: a file whose header claims enormous dimensions is refused
// before anything that size is allocated. Each loader runs in a forked child
// whose address space may grow by only 128 MiB (RLIMIT_AS), while the file
// claims hundreds of MiB to GiBs: allocating the claim would fail (bad_alloc,
// or a sanitizer's out-of-memory abort) instead of the clear handgrad::Error
// the test requires.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <new>
#include <string>

#include "handgrad/core/error.h"
#include "handgrad/data/idx.h"
#include "handgrad/pictures/image.h"
#include "handgrad/model/network.h"
#include "handgrad/core/safetensors.h"

namespace handgrad {
namespace {

namespace fs = std::filesystem;

constexpr size_t kHeadroom = size_t(128) << 20;

// Sanitizer runtimes map shadow and allocator memory as they go, so an
// address-space limit measures them rather than handgrad: these tests run in
// the plain builds (the sanitizer builds still run the same loaders through
// the bad-input corpus and the fuzz targets).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

class MemoryLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    if (kSanitized) GTEST_SKIP() << "address-space limits are not meaningful under a sanitizer";
  }
};

std::string temp_file(const std::string& name, const std::string& bytes) {
  const fs::path d = fs::path(::testing::TempDir()) / ("hg_memlim_" + std::to_string(::getpid()));
  fs::create_directories(d);
  const std::string p = (d / name).string();
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

std::string be32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

std::string gz(const std::string& raw) {
  std::string out(compressBound(raw.size()) + 64, '\0');
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Virtual memory of this process now, in bytes.
size_t vm_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (f) {
    if (std::fscanf(f, "%lu", &pages) != 1) pages = 0;
    std::fclose(f);
  }
  return pages * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

// Runs load() in a child limited to its current address space + 128 MiB.
// Returns "" if it threw handgrad::Error mentioning `expect`, else what happened.
std::string refused_within_limit(const std::function<void()>& load, const std::string& expect) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipefd[0]);
    const rlimit lim{vm_bytes() + kHeadroom, vm_bytes() + kHeadroom};
    ::setrlimit(RLIMIT_AS, &lim);
    std::string msg;
    int code = 0;
    try {
      load();
      msg = "loaded without an error";
      code = 5;
    } catch (const Error& e) {
      msg = e.what();
    } catch (const std::bad_alloc&) {
      msg = "bad_alloc: it tried to allocate the claimed size";
      code = 3;
    } catch (const std::exception& e) {
      msg = std::string("unexpected exception: ") + e.what();
      code = 4;
    }
    if (::write(pipefd[1], msg.data(), msg.size()) < 0) code = 6;
    ::_exit(code);
  }
  ::close(pipefd[1]);
  std::string msg;
  char buf[512];
  for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) > 0;) msg.append(buf, size_t(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status)) return "child killed by signal " + std::to_string(WTERMSIG(status));
  if (WEXITSTATUS(status) != 0) {
    return msg.empty() ? "child exited " + std::to_string(WEXITSTATUS(status)) : msg;
  }
  if (msg.find(expect) == std::string::npos) return "error without '" + expect + "': " + msg;
  return "";
}

// The limit itself works: allocating the claim in the child does fail.
TEST_F(MemoryLimits, TheLimitCatchesABigAllocation) {
  const std::string r = refused_within_limit(
      [] {
        std::vector<float> big(size_t(200) << 20, 1.0f);  // 800 MB
        if (big[12345] != 1.0f) throw Error("unreachable");
      },
      "never");
  EXPECT_NE(r, "");
}

TEST_F(MemoryLimits, IdxClaimsAreCheckedAgainstTheFile) {
  // 1,000,000 images of 28x28 = 784 MB claimed, 100 bytes present.
  const std::string head = be32(2051) + be32(1000000) + be32(28) + be32(28);
  const std::string labels = temp_file("l-idx1", be32(2049) + be32(1000000) + "0123");
  const std::string raw = temp_file("i-idx3", head + std::string(100, '\x7f'));
  const std::string gzipped = temp_file("i-idx3.gz", gz(head + std::string(100, '\x7f')));
  EXPECT_EQ(refused_within_limit([&] { load_idx(raw, labels); }, "i-idx3"), "");
  EXPECT_EQ(refused_within_limit([&] { load_idx(gzipped, labels); }, "i-idx3.gz"), "");
  // Labels alone: 900 MB claimed.
  const std::string big_labels = temp_file("l2-idx1", be32(2049) + be32(900000000) + "01");
  EXPECT_EQ(refused_within_limit([&] { load_idx(raw, big_labels); }, "idx"), "");
}

TEST_F(MemoryLimits, SafetensorsShapesAreCheckedAgainstTheFile) {
  const std::string json =
      R"({"w":{"dtype":"F32","shape":[250000000],"data_offsets":[0,1000000000]}})";
  std::string bytes(8, '\0');
  const uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) bytes[size_t(i)] = char(n >> (8 * i));
  const std::string p = temp_file("big.safetensors", bytes + json + std::string(64, '\0'));
  EXPECT_EQ(refused_within_limit([&] { read_safetensors(p); }, "big.safetensors"), "");
}

TEST_F(MemoryLimits, ImageSizesAreCheckedAgainstTheFile) {
  // 2^26 pixels (the largest allowed) claimed by files of a few bytes.
  const std::string p5 = temp_file("a.pgm", "P5 16384 4096 255\n" + std::string(64, 'x'));
  const std::string p2 = temp_file("b.pgm", "P2 16384 4096 255\n1 2 3 4\n");
  const std::string p6 = temp_file("c.ppm", "P6 8192 8192 65535\n" + std::string(64, 'x'));
  for (const auto& p : {p5, p2, p6}) {
    EXPECT_EQ(refused_within_limit([&] { read_gray_image(p); }, p), "");
  }
  // A PNG whose IHDR claims 16384x4096 RGBA (256 MiB for cairo) in 60 bytes.
  std::string png = "\x89PNG\r\n\x1a\n";
  png += be32(13) + "IHDR" + be32(16384) + be32(4096) + std::string("\x08\x06\0\0\0", 5);
  png += be32(0) + be32(0) + "IEND" + be32(0);
  const std::string pp = temp_file("d.png", png);
  EXPECT_EQ(refused_within_limit([&] { read_gray_image(pp); }, "more than its"), "");
}

TEST_F(MemoryLimits, ArchitecturesAreCheckedBeforeAllocating) {
  EXPECT_EQ(refused_within_limit(
                [] {
                  Network<float>("flatten linear(60000000)", {1, 28, 28});
                },
                "parameters"),
            "");
  EXPECT_EQ(refused_within_limit(
                [] {
                  Network<float>("flatten linear(60000) linear(60000)", {1, 4, 4});
                },
                "parameters"),
            "");
}

}  // namespace
}  // namespace handgrad
