#pragma once
// Dense, contiguous, 64-byte aligned storage and the shape helpers used
// everywhere. Activations are (N, C, H, W) or (N, F); a layer sees the
// per-sample part of the shape, `Dims` = {C, H, W} or {F}.
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace handgrad {

using Dims = std::vector<int>;

// How a tensor is stored in a file (safetensors "F32" or "I64"). In memory
// every tensor of a network is float; an I64 one is a count kept in a float
// (batch norm's num_batches_tracked, exact up to 2^24).
enum class DType { f32, i64 };
const char* dtype_name(DType t);  // "F32", "I64"

// Product of the dimensions (1 for an empty shape).
size_t numel(const Dims& d);
// "1x28x28", "128".
std::string dims_str(const Dims& d);
// Parses "1x28x28" or "2"; throws FieldError(field, ...) on failure.
Dims parse_dims(const std::string& s, const std::string& field = "input");

struct AlignedFree {
  void operator()(void* p) const { std::free(p); }
};

// A growable array whose storage is 64-byte aligned (one cache line, one
// AVX-512 vector). resize() never shrinks the allocation, so buffers sized by
// the first training step are reused by every later step.
template <class T>
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t n) { resize(n); }
  Buffer(const Buffer& o) { *this = o; }
  Buffer& operator=(const Buffer& o) {
    if (this != &o) {
      resize(o.size_);
      for (size_t i = 0; i < size_; ++i) data_.get()[i] = o.data_.get()[i];
    }
    return *this;
  }
  Buffer(Buffer&&) noexcept = default;
  Buffer& operator=(Buffer&&) noexcept = default;

  // New elements are zero; existing ones are kept.
  void resize(size_t n) {
    // Writes nothing when the size is unchanged: a team's members all
    // "resize" the buffers sized by an earlier step (core/team.h).
    if (n == size_) return;
    if (n > cap_) {
      size_t bytes = ((n * sizeof(T) + 63) / 64) * 64;
      T* p = static_cast<T*>(std::aligned_alloc(64, bytes));
      if (!p) throw std::bad_alloc();
      for (size_t i = 0; i < size_; ++i) p[i] = data_.get()[i];
      for (size_t i = size_; i < n; ++i) p[i] = T(0);
      data_.reset(p);
      cap_ = n;
    } else {
      for (size_t i = size_; i < n; ++i) data_.get()[i] = T(0);
    }
    size_ = n;
  }
  void zero() {
    for (size_t i = 0; i < size_; ++i) data_.get()[i] = T(0);
  }
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data_.get()[i]; }
  const T& operator[](size_t i) const { return data_.get()[i]; }

 private:
  std::unique_ptr<T, AlignedFree> data_;
  size_t size_ = 0;
  size_t cap_ = 0;
};

}  // namespace handgrad
