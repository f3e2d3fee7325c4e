// Reads the reference files that tests/make_fixtures.py writes with PyTorch.
//
// Format (little-endian): magic "NSTFIXT1" (8 bytes), u32 tensor count, then per tensor:
// u32 name length, name bytes, u32 rank, rank x i64 dimensions, float32 values.
#pragma once

#include <map>
#include <string>

#include "tensor/tensor.h"

namespace nst::testing {

class Fixture {
 public:
  // Loads tests/fixtures/<name>.bin; throws nst::Error naming the file if it is missing or bad.
  static Fixture load(const std::string& name);

  const Tensor& operator[](const std::string& key) const;  // throws if absent
  bool contains(const std::string& key) const { return tensors_.count(key) != 0; }

 private:
  std::string path_;
  std::map<std::string, Tensor> tensors_;
};

}  // namespace nst::testing
