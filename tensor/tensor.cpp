#include "tensor/tensor.h"

#include <algorithm>

#include "tensor/error.h"

namespace nst {

Tensor::Tensor(const Shape& shape)
    : storage_(std::make_shared<AlignedBuffer>(static_cast<std::size_t>(shape.numel()))),
      shape_(shape) {}

Tensor Tensor::zeros(const Shape& shape) { return full(shape, 0.0f); }

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t(shape);
  t.fill(value);
  return t;
}

Tensor Tensor::from_values(const Shape& shape, std::span<const float> values) {
  NST_CHECK(static_cast<int64_t>(values.size()) == shape.numel(), "shape ", shape, " needs ",
            shape.numel(), " values, got ", values.size());
  Tensor t(shape);
  std::copy(values.begin(), values.end(), t.data());
  return t;
}

float* Tensor::data() {
  NST_CHECK(defined(), "use of an undefined tensor");
  storage_->note_write();
  return storage_->data();
}

const float* Tensor::data() const {
  NST_CHECK(defined(), "use of an undefined tensor");
  return storage_->data();
}

float Tensor::item() const {
  NST_CHECK(numel() == 1, "item() needs a tensor with one element, got shape ", shape_);
  return data()[0];
}

Tensor Tensor::clone() const {
  Tensor copy(shape_);
  std::copy_n(data(), numel(), copy.data());
  return copy;
}

Tensor Tensor::reshaped(const Shape& shape) const {
  NST_CHECK(shape.numel() == numel(), "cannot reshape ", shape_, " (", numel(), " values) to ",
            shape, " (", shape.numel(), " values)");
  Tensor view = *this;
  view.shape_ = shape;
  return view;
}

void Tensor::fill(float value) { std::fill_n(data(), numel(), value); }

void Tensor::copy_from(const Tensor& source) {
  check_same_shape(*this, source, "copy_from");
  std::copy_n(source.data(), numel(), data());
}

void check_same_shape(const Tensor& a, const Tensor& b, const char* what) {
  NST_CHECK(a.shape() == b.shape(), what, ": shapes differ, ", a.shape(), " vs ", b.shape());
}

}  // namespace nst
