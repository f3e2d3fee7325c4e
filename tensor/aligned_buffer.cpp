#include "tensor/aligned_buffer.h"

#include <cstdlib>
#include <new>

namespace nst {

AlignedBuffer::AlignedBuffer(std::size_t count) : count_(count) {
  if (count == 0) return;
  // std::aligned_alloc wants a size that is a multiple of the alignment.
  std::size_t bytes = (count * sizeof(float) + kAlignment - 1) / kAlignment * kAlignment;
  void* memory = std::aligned_alloc(kAlignment, bytes);
  if (memory == nullptr) throw std::bad_alloc();
  data_.reset(static_cast<float*>(memory));
}

void AlignedBuffer::Free::operator()(float* p) const { std::free(p); }

}  // namespace nst
