#include "weights/checkpoint.h"

#include <cstring>
#include <string_view>

#include "tensor/error.h"
#include "weights/mapped_file.h"

namespace nst {
namespace {

// What a file that is not a checkpoint seems to be, from its first bytes: for the message.
std::string kind_of(std::span<const uint8_t> bytes) {
  auto starts = [&](std::string_view magic) {
    return bytes.size() >= magic.size() &&
           std::memcmp(bytes.data(), magic.data(), magic.size()) == 0;
  };
  if (starts("\x89PNG")) return " (it is a PNG image)";
  if (starts("\xff\xd8\xff")) return " (it is a JPEG image)";
  if (starts("\x1f\x8b")) return " (it is gzip-compressed)";
  return "";
}

// A safetensors file starts with the 8-byte size of its JSON header, which opens with '{'. A
// file that starts like another format, or whose header neither fits nor opens with '{', is
// not one; anything closer gets the safetensors reader's precise message.
bool clearly_not_safetensors(std::span<const uint8_t> bytes) {
  if (!kind_of(bytes).empty()) return true;
  if (bytes.size() < 9) return false;
  uint64_t header_size;
  std::memcpy(&header_size, bytes.data(), sizeof header_size);
  return header_size > bytes.size() - 8 && bytes[8] != '{';
}

}  // namespace

Checkpoint read_checkpoint(const std::string& path, const NameFilter& wanted) {
  Checkpoint checkpoint;
  {
    const MappedFile file(path);  // a clear error for a missing file or a directory
    NST_CHECK(file.size() > 0, path, ": the file is empty");
    if (is_torch_checkpoint(file.bytes())) {
      checkpoint.tensors = read_torch_checkpoint(file, wanted, &checkpoint.format);
      return checkpoint;
    }
    NST_CHECK(!clearly_not_safetensors(file.bytes()), path,
              ": neither a safetensors file nor a PyTorch checkpoint", kind_of(file.bytes()));
  }
  // Anything else must be safetensors; its validation says precisely what is wrong if not.
  const SafetensorsFile file(path);
  checkpoint.format = "safetensors";
  checkpoint.metadata = file.metadata();
  for (const SafetensorsEntry& e : file.entries()) {
    if (wanted && !wanted(e.name)) continue;
    checkpoint.tensors.emplace_back(e.name, file.load(e));
  }
  return checkpoint;
}

}  // namespace nst
