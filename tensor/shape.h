// The shape of a tensor: up to four dimensions, read as N-C-H-W when there are four.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <span>
#include <string>

namespace nst {

class Shape {
 public:
  static constexpr int kMaxRank = 4;
  // 2^60 elements: the byte count of any shape fits in 64 bits with room to spare.
  static constexpr int64_t kMaxNumel = int64_t{1} << 60;

  Shape() = default;  // rank 0: a scalar with one element
  Shape(std::initializer_list<int64_t> dims);
  // From dimensions read at run time (a file header); throws for more than four or a negative.
  static Shape from_dims(std::span<const int64_t> dims);

  int rank() const { return rank_; }
  int64_t operator[](int axis) const;
  int64_t numel() const;
  bool operator==(const Shape& other) const;

  std::string to_string() const;  // "[1, 64, 32, 32]"

 private:
  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

std::ostream& operator<<(std::ostream& out, const Shape& shape);

}  // namespace nst
