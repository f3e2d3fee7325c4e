// SHA-256 (FIPS 180-4), to check downloaded weights against their published digests.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace nst {

class Sha256 {
 public:
  Sha256();
  void update(std::span<const uint8_t> data);
  std::string hex_digest();  // finishes the hash; call once

 private:
  void compress(const uint8_t* block);
  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  uint64_t length_ = 0;  // bytes hashed so far
};

std::string sha256_hex(std::span<const uint8_t> data);
std::string sha256_file(const std::string& path);  // streams the file; errors name it

}  // namespace nst
