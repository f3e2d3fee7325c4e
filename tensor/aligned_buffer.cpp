#include "tensor/aligned_buffer.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <vector>

#include "tensor/system_memory.h"

namespace nst {
namespace {

std::atomic<std::size_t> live_total{0}, peak_total{0};

std::size_t count_allocation(std::size_t bytes) {  // returns the bytes now in use
  const std::size_t live = live_total.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  std::size_t peak = peak_total.load(std::memory_order_relaxed);
  while (live > peak && !peak_total.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
  return live;
}

// Freed blocks of 1 MiB or more are kept and handed out again for the same size while a job
// runs (at least one BlockReuseScope is alive). A style transfer allocates the same few dozen
// activation and gradient buffers every iteration; from the OS each would arrive as fresh pages
// the kernel must zero first (measured with huge pages: 4% of an iteration at 512x512). Blocks
// in use plus blocks kept stay within the most that was in use at once since the first scope
// began (and kept blocks within kMaxCachedBytes): a freed block is kept only if it fits, and
// before a new block comes from the system, kept ones are released until it fits. So a block
// freed early in an iteration waits for the same size later, but the cache does not raise the
// process's peak memory. When the last scope ends, every kept block goes back to the system,
// so an idle server holds no memory for finished jobs.
class BlockCache {
 public:
  static constexpr std::size_t kMinBytes = std::size_t{1} << 20;
  static constexpr std::size_t kMaxCachedBytes = std::size_t{1} << 30;

  void* take(std::size_t bytes) {
    if (bytes >= kMinBytes) {
      std::lock_guard lock(mutex_);
      auto it = blocks_.find(bytes);
      if (it != blocks_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_ -= bytes;
        return p;
      }
      // A new block: first give back kept blocks of other sizes that would take the total
      // past the high-water mark.
      const std::size_t in_use = live_total.load(std::memory_order_relaxed);
      while (cached_ > 0 && in_use + cached_ + bytes > high_water_) evict_one();
    }
    return allocate_from_system(bytes, AlignedBuffer::kAlignment);
  }

  void give(void* p, std::size_t bytes) {
    if (bytes >= kMinBytes) {
      std::lock_guard lock(mutex_);
      const std::size_t in_use = live_total.load(std::memory_order_relaxed);
      if (users_ > 0 && cached_ + bytes <= kMaxCachedBytes &&
          in_use + cached_ + bytes <= high_water_) {
        blocks_[bytes].push_back(p);
        cached_ += bytes;
        return;
      }
    }
    release_to_system(p, bytes);
  }

  void enter() {
    std::lock_guard lock(mutex_);
    if (users_++ == 0) high_water_ = live_total.load(std::memory_order_relaxed);
  }

  // Called with the bytes in use after each allocation.
  void note_in_use(std::size_t in_use) {
    std::lock_guard lock(mutex_);
    high_water_ = std::max(high_water_, in_use);
  }

  void leave() {
    std::lock_guard lock(mutex_);
    if (--users_ > 0) return;
    for (auto& [bytes, list] : blocks_) {
      for (void* p : list) release_to_system(p, bytes);
    }
    blocks_.clear();
    cached_ = 0;
  }

  std::size_t cached_bytes() {
    std::lock_guard lock(mutex_);
    return cached_;
  }

 private:
  void evict_one() {  // the largest kept block; mutex_ held
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
      if (it->second.empty()) continue;
      release_to_system(it->second.back(), it->first);
      it->second.pop_back();
      cached_ -= it->first;
      return;
    }
  }

  std::mutex mutex_;
  std::map<std::size_t, std::vector<void*>> blocks_;
  std::size_t cached_ = 0;
  std::size_t high_water_ = 0;  // most bytes in use at once since the first scope began
  int users_ = 0;               // live BlockReuseScopes
};

BlockCache& cache() {
  static BlockCache* instance = new BlockCache;  // never destroyed: buffers may outlive statics
  return *instance;
}

std::size_t rounded_bytes(std::size_t count) {
  // std::aligned_alloc wants a size that is a multiple of the alignment; a count whose byte
  // size would wrap around is one no allocator can serve.
  const std::size_t a = AlignedBuffer::kAlignment;
  if (count > (SIZE_MAX - a) / sizeof(float)) throw std::bad_alloc();
  return (count * sizeof(float) + a - 1) / a * a;
}

}  // namespace

AlignedBuffer::AlignedBuffer(std::size_t count) : count_(count) {
  if (count == 0) return;
  const std::size_t bytes = rounded_bytes(count);
  void* memory = cache().take(bytes);
  if (memory == nullptr) throw std::bad_alloc();
  data_ = std::unique_ptr<float[], Free>(static_cast<float*>(memory), Free{bytes});
  const std::size_t in_use = count_allocation(bytes);
  if (bytes >= BlockCache::kMinBytes) cache().note_in_use(in_use);
}

void AlignedBuffer::Free::operator()(float* p) const {
  live_total.fetch_sub(bytes, std::memory_order_relaxed);
  cache().give(p, bytes);
}

std::size_t TensorMemory::live_bytes() { return live_total.load(); }
std::size_t TensorMemory::peak_bytes() { return peak_total.load(); }
void TensorMemory::reset_peak() { peak_total.store(live_total.load()); }

BlockReuseScope::BlockReuseScope() { cache().enter(); }
BlockReuseScope::~BlockReuseScope() { cache().leave(); }
std::size_t BlockReuseScope::cached_bytes() { return cache().cached_bytes(); }

}  // namespace nst
