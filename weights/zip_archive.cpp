#include "weights/zip_archive.h"

#include <cstring>

#include "tensor/error.h"

namespace nst {
namespace {

constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64EndOfDirectory = 0x06064b50;
constexpr uint32_t kZip64Locator = 0x07064b50;

// Little-endian reads that check they stay inside the file.
class Reader {
 public:
  Reader(std::span<const uint8_t> bytes, const std::string& path) : bytes_(bytes), path_(path) {}
  template <class T>
  T at(uint64_t offset) const {
    NST_CHECK(offset <= bytes_.size() && sizeof(T) <= bytes_.size() - offset, path_,
              ": zip structure at byte ", offset, " runs past the end of the file (truncated?)");
    T v;
    std::memcpy(&v, bytes_.data() + offset, sizeof v);
    return v;
  }

 private:
  std::span<const uint8_t> bytes_;
  const std::string& path_;
};

}  // namespace

bool ZipArchive::looks_like_zip(std::span<const uint8_t> bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), "PK\x03\x04", 4) == 0;
}

ZipArchive::ZipArchive(std::span<const uint8_t> bytes, std::string path)
    : bytes_(bytes), path_(std::move(path)) {
  const Reader r(bytes_, path_);
  // The end-of-directory record is the last 22 bytes, unless a comment (<= 64 KiB) follows.
  NST_CHECK(bytes_.size() >= 22, path_, ": too short to be a zip archive");
  uint64_t eocd = bytes_.size() - 22;
  const uint64_t lowest = bytes_.size() > 22 + 65535 ? bytes_.size() - 22 - 65535 : 0;
  while (r.at<uint32_t>(eocd) != kEndOfDirectory) {
    NST_CHECK(eocd > lowest, path_, ": no zip directory found (truncated archive?)");
    --eocd;
  }
  uint64_t count = r.at<uint16_t>(eocd + 10);
  uint64_t directory = r.at<uint32_t>(eocd + 16);
  if (count == 0xFFFF || directory == 0xFFFFFFFF) {  // the real values are in the zip64 record
    NST_CHECK(eocd >= 20 && r.at<uint32_t>(eocd - 20) == kZip64Locator, path_,
              ": zip64 archive without its locator");
    const uint64_t record = r.at<uint64_t>(eocd - 20 + 8);
    NST_CHECK(r.at<uint32_t>(record) == kZip64EndOfDirectory, path_,
              ": bad zip64 directory record");
    count = r.at<uint64_t>(record + 32);
    directory = r.at<uint64_t>(record + 48);
  }

  uint64_t at = directory;
  for (uint64_t i = 0; i < count; ++i) {
    NST_CHECK(r.at<uint32_t>(at) == kCentralHeader, path_, ": zip directory entry ", i,
              " is damaged");
    Record rec;
    rec.method = r.at<uint16_t>(at + 10);
    uint64_t compressed = r.at<uint32_t>(at + 20);
    rec.size = r.at<uint32_t>(at + 24);
    const uint16_t name_length = r.at<uint16_t>(at + 28);
    const uint16_t extra_length = r.at<uint16_t>(at + 30);
    const uint16_t comment_length = r.at<uint16_t>(at + 32);
    rec.header_offset = r.at<uint32_t>(at + 42);
    NST_CHECK(at + 46 + name_length <= bytes_.size(), path_, ": zip directory is truncated");
    rec.name.assign(reinterpret_cast<const char*>(bytes_.data() + at + 46), name_length);
    // Zip64: fields that read 0xFFFFFFFF are stored as 64-bit values in extra field 0x0001,
    // in the order uncompressed size, compressed size, header offset.
    uint64_t extra = at + 46 + name_length;
    const uint64_t extra_end = extra + extra_length;
    while (extra + 4 <= extra_end) {
      const uint16_t id = r.at<uint16_t>(extra), length = r.at<uint16_t>(extra + 2);
      if (id == 0x0001) {
        uint64_t field = extra + 4;
        if (rec.size == 0xFFFFFFFF) rec.size = r.at<uint64_t>(field), field += 8;
        if (compressed == 0xFFFFFFFF) compressed = r.at<uint64_t>(field), field += 8;
        if (rec.header_offset == 0xFFFFFFFF) rec.header_offset = r.at<uint64_t>(field);
      }
      extra += 4 + length;
    }
    records_.push_back(std::move(rec));
    at = extra_end + comment_length;
  }
}

const ZipArchive::Record* ZipArchive::find(std::string_view name) const {
  for (const Record& rec : records_) {
    if (rec.name == name) return &rec;
  }
  return nullptr;
}

std::span<const uint8_t> ZipArchive::data(const Record& rec) const {
  NST_CHECK(rec.method == 0, path_, ": record ", rec.name, " is compressed (method ", rec.method,
            "); PyTorch checkpoints store records uncompressed");
  const Reader r(bytes_, path_);
  NST_CHECK(r.at<uint32_t>(rec.header_offset) == kLocalHeader, path_, ": record ", rec.name,
            " has a damaged local header");
  // The local header's extra field may differ from the directory's (PyTorch pads it so that
  // tensor data is aligned), so the data offset comes from the local header itself.
  const uint64_t start = rec.header_offset + 30 + r.at<uint16_t>(rec.header_offset + 26) +
                         r.at<uint16_t>(rec.header_offset + 28);
  NST_CHECK(start <= bytes_.size() && rec.size <= bytes_.size() - start, path_, ": record ",
            rec.name, " (", rec.size, " bytes) runs past the end of the file (truncated?)");
  return bytes_.subspan(start, rec.size);
}

}  // namespace nst
