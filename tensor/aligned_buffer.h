// The one owner of tensor memory: a 64-byte aligned block of floats (one cache line, one
// AVX-512 register), released when the last Tensor handle that shares it goes away. Large
// blocks go back to a bounded cache for reuse (aligned_buffer.cpp says why).
#pragma once

#include <cstddef>
#include <memory>

namespace nst {

class AlignedBuffer {
 public:
  static constexpr std::size_t kAlignment = 64;

  explicit AlignedBuffer(std::size_t count);  // uninitialised values

  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  std::size_t size() const { return count_; }

 private:
  struct Free {
    std::size_t bytes;
    void operator()(float* p) const;
  };
  std::unique_ptr<float[], Free> data_{nullptr, Free{0}};
  std::size_t count_ = 0;
};

}  // namespace nst
