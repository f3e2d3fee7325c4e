#include "tensor/system_memory.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>

namespace nst {
namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

std::size_t whole_huge_pages(std::size_t bytes) {
  return (bytes + kHugePage - 1) / kHugePage * kHugePage;
}

// Maps one huge page more than asked and unmaps the ends, which leaves a 2 MiB-aligned range.
void* map_huge_aligned(std::size_t length) {
  void* mapped = ::mmap(nullptr, length + kHugePage, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) return nullptr;
  const auto first = reinterpret_cast<std::uintptr_t>(mapped);
  const std::uintptr_t start = (first + kHugePage - 1) / kHugePage * kHugePage;
  const std::size_t head = start - first, tail = kHugePage - head;
  if (head > 0) ::munmap(mapped, head);
  if (tail > 0) ::munmap(reinterpret_cast<void*>(start + length), tail);
  void* block = reinterpret_cast<void*>(start);
  ::madvise(block, length, MADV_HUGEPAGE);
  return block;
}

}  // namespace

std::size_t system_block_size(std::size_t bytes) {
  return bytes >= kHugePage ? whole_huge_pages(bytes) : bytes;
}

void* allocate_from_system(std::size_t bytes, std::size_t alignment) {
  if (bytes >= kHugePage) return map_huge_aligned(whole_huge_pages(bytes));
  return std::aligned_alloc(alignment, (bytes + alignment - 1) / alignment * alignment);
}

bool is_mapped_block(std::size_t size) { return size >= kHugePage; }

void release_to_system(void* block, std::size_t bytes) {
  if (block == nullptr) return;
  if (bytes >= kHugePage) {
    ::munmap(block, whole_huge_pages(bytes));
  } else {
    std::free(block);
  }
}

}  // namespace nst
