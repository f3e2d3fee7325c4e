// Where the tensor buffers' memory comes from (aligned_buffer.cpp keeps a cache above this).
//
// Blocks of 2 MiB or more are mapped straight from the kernel, aligned to 2 MiB and marked for
// transparent huge pages, and unmapped when released:
// - a fresh block's first touch then faults once per 2 MiB instead of once per 4 KiB
//   (measured: one style-transfer iteration at 512x512 on a 2-core EPYC VM took 1.29 s with
//   huge pages, 2.13 s without);
// - released memory leaves the process at once. Through malloc, blocks below its adaptive mmap
//   threshold (up to 32 MiB) came from the heap, where freed huge pages stayed resident: the
//   resident size grew by ~70 MB per iteration at 384x288 while the tensors in use stayed flat.
// Smaller blocks come from std::aligned_alloc. Where the system has no huge pages, the advice
// is ignored.
#pragma once

#include <cstddef>

namespace nst {

// The bytes a block of `bytes` really takes: whole huge pages from 2 MiB up. Blocks of the same
// size here are interchangeable.
std::size_t system_block_size(std::size_t bytes);

// `bytes` aligned to `alignment` (a power of two, at most 4096), or null if none is left.
void* allocate_from_system(std::size_t bytes, std::size_t alignment);
// Gives back a block from allocate_from_system() of the same `bytes`.
void release_to_system(void* block, std::size_t bytes);

// Whether blocks of this system_block_size() are mapped pages: then any run of whole huge pages
// in one is a block of its own, and neighbouring ones together are one block (the kernel
// unmaps any range of pages), so a cache may split them and join them again.
bool is_mapped_block(std::size_t size);

}  // namespace nst
