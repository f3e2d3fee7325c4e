#include "weights/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string_view>

#include "files/atomic_write.h"
#include "tensor/error.h"
#include "weights/float_formats.h"
#include "weights/json.h"

namespace nst {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; this reader assumes a little-endian host");

namespace {

// Bytes per element of every dtype the format defines.
int dtype_size(std::string_view dtype) {
  static const std::pair<std::string_view, int> kSizes[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1},
      {"I16", 2},  {"U16", 2}, {"F16", 2}, {"BF16", 2},    {"I32", 4},
      {"U32", 4},  {"F32", 4}, {"F64", 8}, {"I64", 8},     {"U64", 8}};
  for (const auto& [name, size] : kSizes) {
    if (name == dtype) return size;
  }
  return 0;
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::vector<int64_t> integers(const json::Value& v, const std::string& path,
                              const std::string& what) {
  NST_CHECK(v.is_array(), path, ": ", what, " must be a list of integers");
  std::vector<int64_t> out;
  for (const json::Value& item : v) {
    // Non-negative integers are number_unsigned; anything else is refused.
    NST_CHECK(item.is_number_unsigned() &&
                  item.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX),
              path, ": ", what, " must hold non-negative integers");
    out.push_back(static_cast<int64_t>(item.get<uint64_t>()));
  }
  return out;
}

SafetensorsEntry parse_entry(const std::string& name, const json::Value& info,
                             const std::string& path) {
  const std::string where = "tensor '" + name + "'";
  NST_CHECK(info.is_object(), path, ": ", where, " must be described by an object");
  NST_CHECK(info.contains("dtype") && info.contains("shape") && info.contains("data_offsets"),
            path, ": ", where, " needs \"dtype\", \"shape\" and \"data_offsets\"");
  const json::Value& dtype = info["dtype"];
  NST_CHECK(dtype.is_string(), path, ": ", where, ": dtype must be a string");
  NST_CHECK(dtype_size(dtype.get<std::string>()) > 0, path, ": ", where, " has unknown dtype \"",
            dtype.get<std::string>(), "\"");
  SafetensorsEntry entry;
  entry.name = name;
  entry.dtype = dtype.get<std::string>();
  entry.shape = integers(info["shape"], path, where + " shape");
  const std::vector<int64_t> range = integers(info["data_offsets"], path, where + " data_offsets");
  NST_CHECK(range.size() == 2, path, ": ", where, ": data_offsets must be [begin, end]");
  entry.begin = static_cast<uint64_t>(range[0]);
  entry.end = static_cast<uint64_t>(range[1]);
  return entry;
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path) : file_(path) {
  const std::size_t size = file_.size();
  NST_CHECK(size > 0, path, ": the file is empty");
  NST_CHECK(size >= 8, path, ": truncated: ", size, " bytes, too short for the 8-byte header size");
  const uint64_t header_size = read_u64_le(file_.bytes().data());
  NST_CHECK(header_size <= kMaxHeaderSize, path, ": header size ", header_size,
            " is larger than the 100 MB the format allows (not a safetensors file?)");
  NST_CHECK(header_size <= size - 8, path, ": header size ", header_size,
            " runs past the end of the ", size, "-byte file (truncated?)");
  const std::string_view header(reinterpret_cast<const char*>(file_.bytes().data() + 8),
                                header_size);
  NST_CHECK(!header.empty() && header.front() == '{', path,
            ": the header does not start with '{' (not a safetensors file?)");
  const json::Value root = json::parse(header, path + " header");
  NST_CHECK(root.is_object(), path, ": the header must be a JSON object");

  for (const auto& [name, info] : root.items()) {
    if (name == "__metadata__") {
      NST_CHECK(info.is_object(), path, ": __metadata__ must be an object");
      for (const auto& [key, value] : info.items()) {
        NST_CHECK(value.is_string(), path, ": __metadata__ value of '", key, "' must be a string");
        metadata_.emplace_back(key, value.get<std::string>());
      }
      continue;
    }
    entries_.push_back(parse_entry(name, info, path));
  }

  // Contiguous, in order, sized by shape and dtype, and covering the data section exactly.
  std::sort(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  data_start_ = 8 + header_size;
  const uint64_t data_size = size - data_start_;
  uint64_t expected_begin = 0;
  for (const SafetensorsEntry& e : entries_) {
    NST_CHECK(e.begin == expected_begin && e.end >= e.begin, path, ": tensor '", e.name,
              "' has data_offsets [", e.begin, ", ", e.end, "] but should start at ",
              expected_begin, " (offsets overlap, leave a gap or are reversed)");
    uint64_t count = 1;
    for (int64_t d : e.shape) {
      NST_CHECK(d == 0 || count <= UINT64_MAX / static_cast<uint64_t>(d), path, ": tensor '",
                e.name, "' shape overflows");
      count *= static_cast<uint64_t>(d);
    }
    const auto element = static_cast<uint64_t>(dtype_size(e.dtype));
    NST_CHECK(count <= UINT64_MAX / element, path, ": tensor '", e.name, "' size overflows");
    NST_CHECK(e.end - e.begin == count * element, path, ": tensor '", e.name, "' holds ",
              e.end - e.begin, " bytes but its shape and dtype ", e.dtype, " need ",
              count * element);
    NST_CHECK(e.end <= data_size, path, ": tensor '", e.name, "' ends at byte ", e.end,
              " past the ", data_size, "-byte data section (truncated file?)");
    expected_begin = e.end;
  }
  NST_CHECK(expected_begin == data_size, path, ": the tensors cover ", expected_begin,
            " bytes but the data section holds ", data_size);
}

std::string apparent_kind(std::span<const uint8_t> bytes) {
  auto starts = [&](std::string_view magic) {
    return bytes.size() >= magic.size() &&
           std::memcmp(bytes.data(), magic.data(), magic.size()) == 0;
  };
  if (starts("\x89PNG")) return " (it is a PNG image)";
  if (starts("\xff\xd8\xff")) return " (it is a JPEG image)";
  if (starts("\x1f\x8b")) return " (it is gzip-compressed)";
  return "";
}

bool may_be_safetensors(std::span<const uint8_t> bytes) {
  if (!apparent_kind(bytes).empty()) return false;
  if (bytes.size() < 9) return true;
  const uint64_t header_size = read_u64_le(bytes.data());
  return header_size <= bytes.size() - 8 || bytes[8] == '{';
}

const SafetensorsEntry* SafetensorsFile::find(const std::string& name) const {
  for (const SafetensorsEntry& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

Tensor SafetensorsFile::load(const SafetensorsEntry& e) const {
  NST_CHECK(e.shape.size() <= Shape::kMaxRank, path(), ": tensor '", e.name, "' has rank ",
            e.shape.size(), "; at most 4 is supported");
  Tensor t(Shape::from_dims(e.shape));
  const uint8_t* src = file_.bytes().data() + data_start_ + e.begin;
  const auto n = static_cast<std::size_t>(t.numel());
  if (n == 0) return t;  // nothing to copy (and an empty tensor has no storage)
  float* dst = t.data();
  if (e.dtype == "F32") {
    std::memcpy(dst, src, n * sizeof(float));  // the data may be unaligned in the file
  } else if (e.dtype == "F16" || e.dtype == "BF16") {
    const bool half = e.dtype == "F16";
    for (std::size_t i = 0; i < n; ++i) {
      uint16_t bits;
      std::memcpy(&bits, src + 2 * i, 2);
      dst[i] = half ? half_to_float(bits) : bfloat16_to_float(bits);
    }
  } else if (e.dtype == "F64") {
    for (std::size_t i = 0; i < n; ++i) {
      double v;
      std::memcpy(&v, src + 8 * i, 8);
      dst[i] = static_cast<float>(v);
    }
  } else {
    fail(path(), ": tensor '", e.name, "' has dtype ", e.dtype,
         "; weights must be F32, F16, BF16 or F64");
  }
  return t;
}

void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const Metadata& metadata) {
  std::string text = "{";
  if (!metadata.empty()) {
    text += "\"__metadata__\":{";
    for (std::size_t i = 0; i < metadata.size(); ++i) {
      if (i > 0) text += ',';
      text += json::quote(metadata[i].first);
      text += ':';
      text += json::quote(metadata[i].second);
    }
    text += "}";
  }
  int64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    NST_CHECK(name != "__metadata__", path, ": a tensor cannot be named __metadata__");
    const int64_t bytes = tensor.numel() * static_cast<int64_t>(sizeof(float));
    if (text.size() > 1) text += ',';
    text += json::quote(name);
    text += ":{\"dtype\":\"F32\",\"shape\":[";
    for (int i = 0; i < tensor.shape().rank(); ++i) {
      if (i > 0) text += ',';
      text += std::to_string(tensor.shape()[i]);
    }
    text += "],\"data_offsets\":[";
    text += std::to_string(offset);
    text += ',';
    text += std::to_string(offset + bytes);
    text += "]}";
    offset += bytes;
  }
  text += "}";
  text.append((8 - text.size() % 8) % 8, ' ');  // pad so the data starts 8-byte aligned
  write_file_atomically(path, [&](std::ostream& out) {
    const uint64_t size = text.size();
    out.write(reinterpret_cast<const char*>(&size), sizeof size);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& [name, tensor] : tensors) {
      out.write(reinterpret_cast<const char*>(tensor.data()),
                static_cast<std::streamsize>(tensor.numel() * sizeof(float)));
    }
  });
}

}  // namespace nst
