// Bytes in tensor memory, shared like a Tensor: what backward keeps besides floats (ReLU masks,
// max-pooling argmaxes), allocated, cached and counted (TensorMemory) like every tensor.
#pragma once

#include <cstdint>
#include <memory>

#include "tensor/aligned_buffer.h"

namespace nst {

class ByteTensor {
 public:
  ByteTensor() = default;
  explicit ByteTensor(int64_t size)  // values uninitialised
      : storage_(std::make_shared<AlignedBuffer>(static_cast<std::size_t>((size + 3) / 4))),
        size_(size) {}

  bool defined() const { return storage_ != nullptr; }
  int64_t size() const { return size_; }
  // Float storage seen as bytes: access through unsigned char aliases any object.
  uint8_t* data() { return reinterpret_cast<uint8_t*>(storage_->data()); }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(storage_->data()); }

 private:
  std::shared_ptr<AlignedBuffer> storage_;
  int64_t size_ = 0;
};

}  // namespace nst
