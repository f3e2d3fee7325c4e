// The one owner of tensor memory: a 64-byte aligned block of floats (one cache line, one
// AVX-512 register), released when the last Tensor handle that shares it goes away. While a
// job runs, large blocks go back to a bounded cache for reuse (aligned_buffer.cpp says why).
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

// While at least one scope is alive anywhere in the process, freed blocks of 1 MiB or more are
// kept (up to 1 GiB) and handed out again for the same size; when the last scope ends, they are
// all returned to the system. A job holds one during its iterations; concurrent jobs share
// the cache. Outside any scope, freed blocks go straight back to the system.
class BlockReuseScope {
 public:
  BlockReuseScope();
  ~BlockReuseScope();
  BlockReuseScope(const BlockReuseScope&) = delete;
  BlockReuseScope& operator=(const BlockReuseScope&) = delete;

  static std::size_t cached_bytes();  // held for reuse right now
};

}  // namespace nst
