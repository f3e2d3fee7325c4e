#include "tensor/aligned_buffer.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <list>
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
// activation, gradient and scratch buffers every iteration; from the OS each would arrive as
// fresh pages the kernel must zero first (measured with huge pages on a Sapphire Rapids VM:
// 20% of an iteration at 512x512 when only blocks of the very size asked for were reused; see
// take() for splitting). Blocks in use plus blocks kept stay within the most that was in use at
// once since the first scope began, plus kSlackBytes (and kept blocks within kMaxCachedBytes),
// so the cache raises the process's peak memory by 64 MiB at most: to make room, the blocks
// freed longest ago go back to the system first (a block freed just now, like a convolution's
// scratch band, is the likeliest to be asked for again). When the last scope ends, every kept block
// goes back to the system, so an idle server holds no memory for finished jobs.
class BlockCache {
 public:
  static constexpr std::size_t kMinBytes = std::size_t{1} << 20;
  static constexpr std::size_t kMaxCachedBytes = std::size_t{1} << 30;
  // Room above the peak in use, for blocks freed just before it that are asked for again just
  // after. Measured with strace (mmap calls after set-up): a 256x256 iteration took 210 MB of
  // fresh blocks from the system without it, none with it; at 512 the fresh blocks fell from
  // 440 to 200 MB per iteration.
  static constexpr std::size_t kSlackBytes = std::size_t{64} << 20;

  // Blocks are matched by the size they take from the system (system_memory.h): a 16.1 MiB
  // gradient can reuse the 18 MiB mapping a 17 MiB activation left. Without one of the same
  // size, the smallest larger mapped block is split: the request takes its head and the rest
  // stays kept. (An iteration asks for a few dozen sizes from 1 to 64 MiB at 512 px, in an
  // order that leaves the cache holding the wrong ones: measured with exact matches only, 180
  // MB of fresh pages per iteration, 20% of its time spent by the kernel zeroing them.)
  void* take(std::size_t bytes) {
    if (bytes >= kMinBytes) {
      const std::size_t size = system_block_size(bytes);
      std::lock_guard lock(mutex_);
      auto larger = kept_.end();
      for (auto it = kept_.rbegin(); it != kept_.rend(); ++it) {  // the most recent first
        if (it->size == size) {
          void* p = it->memory;
          kept_.erase(std::next(it).base());
          cached_ -= size;
          return p;
        }
        if (is_mapped_block(size) && is_mapped_block(it->size) && it->size > size &&
            (larger == kept_.end() || it->size < larger->size))
          larger = std::next(it).base();
      }
      if (larger != kept_.end()) {
        void* p = larger->memory;
        larger->memory = static_cast<char*>(larger->memory) + size;
        larger->size -= size;
        cached_ -= size;
        return p;
      }
      make_room(size, live_total.load(std::memory_order_relaxed));
    }
    return allocate_from_system(bytes, AlignedBuffer::kAlignment);
  }

  void give(void* p, std::size_t bytes) {
    const std::size_t size = system_block_size(bytes);
    if (bytes >= kMinBytes) {
      std::lock_guard lock(mutex_);
      const std::size_t in_use = live_total.load(std::memory_order_relaxed);
      if (users_ > 0 && size <= kMaxCachedBytes && in_use + size <= high_water_) {
        make_room(size, in_use);
        keep({p, size});
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
    high_water_ = std::max(high_water_, in_use + kSlackBytes);
  }

  void leave() {
    std::lock_guard lock(mutex_);
    if (--users_ > 0) return;
    for (const Kept& block : kept_) release_to_system(block.memory, block.size);
    kept_.clear();
    cached_ = 0;
  }

  std::size_t cached_bytes() {
    std::lock_guard lock(mutex_);
    return cached_;
  }

 private:
  struct Kept {
    void* memory;
    std::size_t size;  // system_block_size()
  };
  static void* end_of(const Kept& block) { return static_cast<char*>(block.memory) + block.size; }

  // Adds a freed block to the kept ones, joined with the mapped blocks it touches (halves of a
  // split, or mappings the kernel placed side by side), so that a request of their total size
  // finds it whole; mutex_ held.
  void keep(Kept block) {
    cached_ += block.size;
    if (is_mapped_block(block.size)) {
      for (auto it = kept_.begin(); it != kept_.end();) {
        const bool before = end_of(*it) == block.memory, after = end_of(block) == it->memory;
        if (is_mapped_block(it->size) && (before || after)) {
          if (before) block.memory = it->memory;
          block.size += it->size;
          it = kept_.erase(it);
        } else {
          ++it;
        }
      }
    }
    kept_.push_back(block);
  }

  // Releases the blocks kept longest until `bytes` more fit under both limits; mutex_ held.
  void make_room(std::size_t bytes, std::size_t in_use) {
    while (!kept_.empty() &&
           (in_use + cached_ + bytes > high_water_ || cached_ + bytes > kMaxCachedBytes)) {
      release_to_system(kept_.front().memory, kept_.front().size);
      cached_ -= kept_.front().size;
      kept_.pop_front();
    }
  }

  std::mutex mutex_;
  std::list<Kept> kept_;  // in the order they were freed
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
