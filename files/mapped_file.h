// A read-only memory map of a whole file: weights are read in place, without a copy of the
// file in memory. Opening fails with an error naming the file for a missing or unreadable
// file and for a directory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace nst {

class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  std::size_t size() const { return size_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace nst
