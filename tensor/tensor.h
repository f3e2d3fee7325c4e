// The project's one tensor type: float32, contiguous, row-major (N-C-H-W for rank 4).
//
// A Tensor is a cheap shared handle: copying it shares the storage (like a torch.Tensor), and
// clone() makes an independent copy. Kernels never see Tensors; they take raw pointers and the
// shape letters, so they can be read and tested on their own.
#pragma once

#include <memory>
#include <span>

#include "tensor/aligned_buffer.h"
#include "tensor/shape.h"

namespace nst {

class Tensor {
 public:
  Tensor() = default;                   // undefined: no storage
  explicit Tensor(const Shape& shape);  // allocated, values uninitialised

  static Tensor zeros(const Shape& shape);
  static Tensor full(const Shape& shape, float value);
  static Tensor from_values(const Shape& shape, std::span<const float> values);
  static Tensor scalar(float value) { return full(Shape{}, value); }

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int64_t numel() const { return shape_.numel(); }
  int64_t dim(int axis) const { return shape_[axis]; }

  float* data();
  const float* data() const;
  std::span<float> values() { return {data(), static_cast<std::size_t>(numel())}; }
  std::span<const float> values() const { return {data(), static_cast<std::size_t>(numel())}; }
  float item() const;  // the value of a one-element tensor

  Tensor clone() const;
  Tensor reshaped(const Shape& shape) const;  // shares storage; element count must match
  void fill(float value);
  void copy_from(const Tensor& source);  // shapes must match

  bool same_storage(const Tensor& other) const { return storage_ == other.storage_; }
  // Moves whenever the storage's values may have been written through any handle (every call
  // of the non-const data(), values(), fill() or copy_from()), like torch's _version.
  uint64_t version() const { return storage_ != nullptr ? storage_->writes() : 0; }

 private:
  std::shared_ptr<AlignedBuffer> storage_;
  Shape shape_;
};

// Throws nst::Error naming both shapes and `what` unless a and b have the same shape.
void check_same_shape(const Tensor& a, const Tensor& b, const char* what);

}  // namespace nst
