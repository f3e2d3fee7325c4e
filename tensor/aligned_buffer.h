// The one owner of tensor memory: a 64-byte aligned block of floats (one cache line, one
// AVX-512 register), released when the last Tensor handle that shares it goes away. While a
// job runs, large blocks go back to a bounded cache for reuse (aligned_buffer.cpp says why).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace nst {

class AlignedBuffer {
 public:
  static constexpr std::size_t kAlignment = 64;

  explicit AlignedBuffer(std::size_t count);  // uninitialised values

  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  std::size_t size() const { return count_; }

  // Counts handouts of writable access (Tensor's non-const data()): a cache derived from the
  // values, such as a convolution's transformed filters, is stale once this has moved.
  void note_write() { writes_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t writes() const { return writes_.load(std::memory_order_relaxed); }

 private:
  struct Free {
    std::size_t bytes;
    void operator()(float* p) const;
  };
  std::unique_ptr<float[], Free> data_{nullptr, Free{0}};
  std::size_t count_ = 0;
  std::atomic<uint64_t> writes_{0};
};

// Bytes held by live AlignedBuffers (tensors, masks), and the most held at once since the last
// reset: what the memory tests measure, without the allocator's or the block cache's slack.
struct TensorMemory {
  static std::size_t live_bytes();
  static std::size_t peak_bytes();
  static void reset_peak();  // peak = live
};

// While at least one scope is alive anywhere in the process, freed blocks of 1 MiB or more are
// kept and handed out again for the same size, as long as blocks in use plus blocks kept stay
// within the most in use at once since the first scope began, plus 64 MiB (and kept blocks
// within 1 GiB); when the last scope ends, they are all returned to the system. A job holds one
// during its iterations; concurrent jobs share the cache. Outside any scope, freed blocks go
// straight back to the system.
class BlockReuseScope {
 public:
  BlockReuseScope();
  ~BlockReuseScope();
  BlockReuseScope(const BlockReuseScope&) = delete;
  BlockReuseScope& operator=(const BlockReuseScope&) = delete;

  static std::size_t cached_bytes();  // held for reuse right now
};

}  // namespace nst
