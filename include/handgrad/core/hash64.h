#pragma once
// XXH64 (xxHash's 64-bit hash), for content hashes that must be fast: a run
// records its training set's hash and checks it on --resume (MNIST's 188 MB
// of float pixels: ~0.05 s, where SHA-256 here takes seconds). Not for
// security; sha256.h verifies downloads. Code: src/core/hash64.cpp.
#include <cstddef>
#include <cstdint>
#include <string>

namespace handgrad {

uint64_t xxh64(const void* data, size_t n, uint64_t seed = 0);
// 16 lower-case hex digits.
std::string hex64(uint64_t v);

}  // namespace handgrad
