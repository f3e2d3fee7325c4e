#include "tensor/shape.h"

#include "tensor/error.h"

namespace nst {

Shape::Shape(std::initializer_list<int64_t> dims)
    : Shape(from_dims(std::span<const int64_t>(dims.begin(), dims.size()))) {}

Shape Shape::from_dims(std::span<const int64_t> dims) {
  NST_CHECK(dims.size() <= kMaxRank, "a shape has at most ", kMaxRank, " dimensions, got ",
            dims.size());
  Shape shape;
  for (int64_t d : dims) {
    NST_CHECK(d >= 0, "shape dimensions must be non-negative, got ", d);
    shape.dims_[shape.rank_++] = d;
  }
  // Dimensions often come from files: their product must not wrap around.
  int64_t numel = 1;
  for (int64_t d : dims) {
    NST_CHECK(!__builtin_mul_overflow(numel, d, &numel) && numel <= kMaxNumel, "shape ", shape,
              " has more than ", kMaxNumel, " elements");
  }
  return shape;
}

int64_t Shape::operator[](int axis) const {
  NST_CHECK(axis >= 0 && axis < rank_, "axis ", axis, " is out of range for shape ", *this);
  return dims_[axis];
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= dims_[i];
  return n;
}

bool Shape::operator==(const Shape& other) const {
  if (rank_ != other.rank_) return false;
  for (int i = 0; i < rank_; ++i) {
    if (dims_[i] != other.dims_[i]) return false;
  }
  return true;
}

std::string Shape::to_string() const {
  std::string text = "[";
  for (int i = 0; i < rank_; ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(dims_[i]);
  }
  return text + "]";
}

std::ostream& operator<<(std::ostream& out, const Shape& shape) { return out << shape.to_string(); }

}  // namespace nst
