// Reads the directory of a zip archive in memory, as PyTorch writes them (torch.save since
// 1.6): records stored uncompressed, each named "<archive>/data.pkl", "<archive>/data/<key>",
// ... Zip64 records (archives over 4 GiB) are understood; compressed records are refused with
// an error, since PyTorch never compresses.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nst {

class ZipArchive {
 public:
  struct Record {
    std::string name;
    uint16_t method = 0;         // 0 = stored
    uint64_t size = 0;           // bytes of data
    uint64_t header_offset = 0;  // of the local file header
  };

  // `bytes` must outlive the archive; `path` is for error messages.
  ZipArchive(std::span<const uint8_t> bytes, std::string path);

  static bool looks_like_zip(std::span<const uint8_t> bytes);

  const std::vector<Record>& records() const { return records_; }
  const Record* find(std::string_view name) const;
  std::span<const uint8_t> data(const Record& record) const;  // bounds-checked

 private:
  std::span<const uint8_t> bytes_;
  std::string path_;
  std::vector<Record> records_;
};

}  // namespace nst
