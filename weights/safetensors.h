// The safetensors format (https://github.com/huggingface/safetensors):
//
//   [8 bytes: N, little-endian u64][N bytes: JSON header][tensor data]
//
// The header maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
// into the data section) and may hold "__metadata__", a map of strings to strings. A file is
// validated as strictly as the reference implementation does before any tensor is read: header
// size at most 100 MB and inside the file, valid JSON object, known dtypes, offsets contiguous
// from 0 with no gap or overlap, each tensor's byte size matching its shape and dtype, and the
// data section ending exactly at the end of the file.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "files/mapped_file.h"
#include "tensor/tensor.h"

namespace nst {

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // "F32", "F16", "BF16", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte offsets into the data section
};

using Metadata = std::vector<std::pair<std::string, std::string>>;

class SafetensorsFile {
 public:
  static constexpr uint64_t kMaxHeaderSize = 100'000'000;

  // Maps and validates the file; throws nst::Error naming the file and the problem.
  explicit SafetensorsFile(const std::string& path);

  const std::string& path() const { return file_.path(); }
  const std::vector<SafetensorsEntry>& entries() const { return entries_; }  // by offset
  const Metadata& metadata() const { return metadata_; }
  const SafetensorsEntry* find(const std::string& name) const;

  // The tensor as float32; F16, BF16 and F64 are converted. Other dtypes are an error.
  Tensor load(const SafetensorsEntry& entry) const;

 private:
  MappedFile file_;
  uint64_t data_start_ = 0;
  std::vector<SafetensorsEntry> entries_;
  Metadata metadata_;
};

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// Whether `bytes` can begin a safetensors file: no other format's signature, and an 8-byte
// header size that fits the file or a header that opens with '{' (or too few bytes to tell, so
// that the reader can say precisely what is missing).
bool may_be_safetensors(std::span<const uint8_t> bytes);
// What a file seems to be from its first bytes, for messages: " (it is a PNG image)", or "".
std::string apparent_kind(std::span<const uint8_t> bytes);

// Writes float32 tensors (in the order given) and metadata, atomically.
void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const Metadata& metadata);

}  // namespace nst
