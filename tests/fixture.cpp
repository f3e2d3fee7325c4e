#include "tests/fixture.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <vector>

#include "tensor/error.h"

#ifndef NST_FIXTURE_DIR
#error "NST_FIXTURE_DIR must name the folder of the fixture files"
#endif

namespace nst::testing {
namespace {

template <class T>
T read_value(std::ifstream& in, const std::string& path) {
  T value;
  in.read(reinterpret_cast<char*>(&value), sizeof value);
  NST_CHECK(in.good(), path, ": truncated fixture file");
  return value;
}

}  // namespace

Fixture Fixture::load(const std::string& name) {
  Fixture fixture;
  fixture.path_ = std::string(NST_FIXTURE_DIR) + "/" + name + ".bin";
  const std::string& path = fixture.path_;
  std::ifstream in(path, std::ios::binary);
  NST_CHECK(in.is_open(), path, ": cannot open fixture (regenerate with tests/make_fixtures.py)");
  char magic[8];
  in.read(magic, sizeof magic);
  NST_CHECK(in.good() && std::memcmp(magic, "NSTFIXT1", 8) == 0, path,
            ": not a fixture file of version 1 (bad magic)");
  const auto count = read_value<uint32_t>(in, path);
  for (uint32_t i = 0; i < count; ++i) {
    const auto name_length = read_value<uint32_t>(in, path);
    NST_CHECK(name_length < 4096, path, ": implausible name length ", name_length);
    std::string key(name_length, '\0');
    in.read(key.data(), name_length);
    const auto rank = read_value<uint32_t>(in, path);
    NST_CHECK(rank <= 4, path, ": tensor '", key, "' has rank ", rank, ", at most 4 supported");
    int64_t dims[4] = {};
    for (uint32_t d = 0; d < rank; ++d) dims[d] = read_value<int64_t>(in, path);
    Tensor tensor(Shape::from_dims({dims, rank}));
    in.read(reinterpret_cast<char*>(tensor.data()),
            static_cast<std::streamsize>(sizeof(float) * tensor.numel()));
    NST_CHECK(in.good(), path, ": tensor '", key, "' is truncated");
    fixture.tensors_.emplace(std::move(key), std::move(tensor));
  }
  return fixture;
}

const Tensor& Fixture::operator[](const std::string& key) const {
  auto it = tensors_.find(key);
  NST_CHECK(it != tensors_.end(), path_, ": no tensor named '", key, "'");
  return it->second;
}

}  // namespace nst::testing
