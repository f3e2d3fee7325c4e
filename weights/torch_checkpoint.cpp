// PyTorch's two on-disk formats. Both pickle a dict of tensors whose storages are named by
// persistent ids; they differ in where the storage bytes live:
//   zip:    record "<archive>/data/<key>" holds storage <key>;
//           pid = ("storage", StorageType, key, location, numel)
//   legacy: after five pickles (magic number, protocol 1001, sys_info, the dict, the list of
//           storage keys) each storage follows in that order as [u64 numel][bytes];
//           pid = ("storage", StorageType, key, location, numel, view_metadata)
#include <array>
#include <cstring>
#include <map>

#include "files/mapped_file.h"
#include "tensor/error.h"
#include "weights/checkpoint.h"
#include "weights/float_formats.h"
#include "weights/pickle.h"
#include "weights/zip_archive.h"

namespace nst {
namespace {

using pickle::Object;
using pickle::ObjectPtr;

// The bytes of one storage element and how to read it as float.
struct StorageType {
  const char* name;
  int size;
  float (*read)(const uint8_t* p);
};

template <class T>
float read_as_float(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return static_cast<float>(v);
}
uint16_t read_u16(const uint8_t* p) {
  uint16_t bits;
  std::memcpy(&bits, p, sizeof bits);
  return bits;
}
float read_half(const uint8_t* p) { return half_to_float(read_u16(p)); }
float read_bfloat16(const uint8_t* p) { return bfloat16_to_float(read_u16(p)); }

const StorageType& storage_type(const std::string& name, const std::string& path) {
  static const StorageType kTypes[] = {
      {"FloatStorage", 4, read_as_float<float>},   {"HalfStorage", 2, read_half},
      {"BFloat16Storage", 2, read_bfloat16},       {"DoubleStorage", 8, read_as_float<double>},
      {"LongStorage", 8, read_as_float<int64_t>},  {"IntStorage", 4, read_as_float<int32_t>},
      {"ShortStorage", 2, read_as_float<int16_t>}, {"CharStorage", 1, read_as_float<int8_t>},
      {"ByteStorage", 1, read_as_float<uint8_t>},  {"BoolStorage", 1, read_as_float<uint8_t>}};
  for (const StorageType& t : kTypes) {
    if (name == t.name) return t;
  }
  fail(path, ": unknown storage type torch.", name);
}

// Storages by key, made once per key however often the pickle names them.
class Storages {
 public:
  Storages(const std::string& path, std::size_t pid_size, pickle::Arena& arena)
      : path_(path), pid_size_(pid_size), arena_(arena) {}

  ObjectPtr load(const ObjectPtr& pid) {
    const auto& f = pid->items;
    NST_CHECK(pid->kind == Object::Kind::tuple && f.size() == pid_size_ &&
                  f[0]->kind == Object::Kind::string && f[0]->text == "storage" &&
                  f[1]->kind == Object::Kind::global && f[2]->kind == Object::Kind::string &&
                  f[4]->kind == Object::Kind::integer,
              path_, ": unexpected persistent id in the pickle (not a PyTorch storage)");
    NST_CHECK(f[4]->integer >= 0, path_, ": storage '", f[2]->text, "' has ", f[4]->integer,
              " elements");
    ObjectPtr& slot = by_key_[f[2]->text];
    if (slot == nullptr) {
      slot = arena_.make(Object::Kind::storage, path_);
      slot->text = f[2]->text;
      slot->name = f[1]->name;
      slot->storage_numel = f[4]->integer;
      storage_type(slot->name, path_);  // fails now for an unknown type
    }
    if (pid_size_ == 6 && f[5]->kind != Object::Kind::none) return view(*slot, *f[5]);
    return slot;
  }

  const Object* find(const std::string& key) const {
    auto it = by_key_.find(key);
    return it == by_key_.end() ? nullptr : it->second;
  }

 private:
  // Legacy files from before PyTorch 0.4 (often Python 2) may share a storage between
  // tensors: view_metadata = (view_key, offset, size) names a slice of the root storage.
  ObjectPtr view(const Object& root, const Object& metadata) {
    const auto& m = metadata.items;
    NST_CHECK(metadata.kind == Object::Kind::tuple && m.size() == 3 &&
                  m[0]->kind == Object::Kind::string && m[1]->kind == Object::Kind::integer &&
                  m[2]->kind == Object::Kind::integer,
              path_, ": a storage view of '", root.text, "' is not (key, offset, size)");
    const int64_t offset = m[1]->integer, size = m[2]->integer;
    NST_CHECK(offset >= 0 && size >= 0 && offset <= root.storage_numel &&
                  size <= root.storage_numel - offset,
              path_, ": a view of ", size, " elements at ", offset, " does not fit storage '",
              root.text, "' of ", root.storage_numel);
    ObjectPtr& slot = views_[m[0]->text];
    if (slot == nullptr) {
      slot = arena_.make(Object::Kind::storage, path_);
      slot->text = root.text;  // the data is the root's
      slot->name = root.name;
      slot->storage_numel = size;
      slot->storage_offset = offset;
      slot->storage_view = true;
    }
    return slot;
  }

  const std::string& path_;
  std::size_t pid_size_;
  pickle::Arena& arena_;
  std::map<std::string, ObjectPtr> by_key_;  // root storages
  std::map<std::string, ObjectPtr> views_;   // legacy views, by view key
};

// Gathers a tensor's elements from its storage bytes, honouring offset and strides. Every
// number here comes from the file, so all arithmetic on them is checked, the view must lie
// inside its storage, and it may not have more elements than the storage: a view that repeats
// elements (stride 0) could otherwise turn a few hundred bytes into gigabytes.
Tensor materialize(const pickle::TensorRef& ref, std::span<const uint8_t> bytes,
                   const std::string& name, const std::string& path) {
  const Object& storage = *ref.storage;
  const StorageType& type = storage_type(storage.name, path);
  NST_CHECK(bytes.size() % type.size == 0 &&
                bytes.size() / type.size == static_cast<uint64_t>(storage.storage_numel),
            path, ": storage '", storage.text, "' of tensor '", name, "' holds ", bytes.size(),
            " bytes, not ", storage.storage_numel, " elements of ", type.size,
            " bytes (truncated file?)");
  const std::size_t rank = ref.shape.size();
  NST_CHECK(rank <= 4 && ref.strides.size() == rank, path, ": tensor '", name, "' has rank ", rank,
            " with ", ref.strides.size(), " strides; at most rank 4 is supported");
  int64_t numel = 1, last = ref.offset;  // the largest storage index the view touches
  bool too_many = false, too_far = ref.offset < 0;
  for (std::size_t d = 0; d < rank; ++d) {
    NST_CHECK(ref.shape[d] >= 0 && ref.strides[d] >= 0, path, ": tensor '", name,
              "' has a negative size or stride");
    too_many = too_many || __builtin_mul_overflow(numel, ref.shape[d], &numel);
    int64_t reach = 0;
    if (ref.shape[d] > 0) {
      too_far = too_far || __builtin_mul_overflow(ref.shape[d] - 1, ref.strides[d], &reach) ||
                __builtin_add_overflow(last, reach, &last);
    }
  }
  NST_CHECK(!too_many && numel <= storage.storage_numel, path, ": tensor '", name,
            "' has more elements than its storage '", storage.text, "' (", storage.storage_numel,
            ")");
  NST_CHECK(numel == 0 || (!too_far && last < storage.storage_numel), path, ": tensor '", name,
            "' reaches past the end of its storage");
  Tensor t(Shape::from_dims(ref.shape));
  std::array<int64_t, 4> index{};
  for (int64_t i = 0; i < numel; ++i) {
    int64_t at = ref.offset;
    for (std::size_t d = 0; d < rank; ++d) at += index[d] * ref.strides[d];
    t.data()[i] = type.read(bytes.data() + at * type.size);
    for (std::size_t d = rank; d-- > 0;) {  // next index, last dimension fastest
      if (++index[d] < ref.shape[d]) break;
      index[d] = 0;
    }
  }
  return t;
}

// The dict of tensors inside a loaded pickle, with "state_dict" unwrapped if present.
const Object& state_dict(const ObjectPtr& root, const std::string& path) {
  NST_CHECK(root->kind == Object::Kind::dict, path, ": the checkpoint holds a ", root->kind_name(),
            ", not a dict of tensors");
  for (const auto& [key, value] : root->entries) {
    if (key->kind == Object::Kind::string && key->text == "state_dict" &&
        value->kind == Object::Kind::dict) {
      return *value;
    }
  }
  return *root;
}

template <class StorageBytes>
NamedTensors collect(const Object& dict, const NameFilter& wanted, const std::string& path,
                     StorageBytes storage_bytes) {
  NamedTensors out;
  for (const auto& [key, value] : dict.entries) {
    if (key->kind != Object::Kind::string || value->kind != Object::Kind::tensor) continue;
    if (wanted && !wanted(key->text)) continue;
    const Object& storage = *value->tensor.storage;
    std::span<const uint8_t> bytes = storage_bytes(storage);
    if (storage.storage_view) {  // a slice of its root storage, whose size was checked
      const std::size_t element = storage_type(storage.name, path).size;
      NST_CHECK(static_cast<uint64_t>(storage.storage_offset + storage.storage_numel) <=
                    bytes.size() / element,
                path, ": a view of storage '", storage.text, "' reaches past its data");
      bytes = bytes.subspan(storage.storage_offset * element, storage.storage_numel * element);
    }
    out.emplace_back(key->text, materialize(value->tensor, bytes, key->text, path));
  }
  return out;
}

NamedTensors read_zip(const MappedFile& file, const NameFilter& wanted) {
  const std::string& path = file.path();
  ZipArchive zip(file.bytes(), path);
  const ZipArchive::Record* pickle_record = nullptr;
  for (const auto& rec : zip.records()) {
    if (rec.name.ends_with("/data.pkl") || rec.name == "data.pkl") {
      pickle_record = &rec;
      break;
    }
  }
  NST_CHECK(pickle_record != nullptr, path,
            ": zip archive without a data.pkl record (not a PyTorch checkpoint?)");
  const std::string prefix = pickle_record->name.substr(0, pickle_record->name.size() - 8);
  pickle::Arena arena;
  Storages storages(path, 5, arena);
  const ObjectPtr root = pickle::load(zip.data(*pickle_record), path, arena,
                                      [&](const ObjectPtr& pid) { return storages.load(pid); });
  return collect(state_dict(root, path), wanted, path, [&](const Object& storage) {
    const std::string name = prefix + "data/" + storage.text;
    const ZipArchive::Record* rec = zip.find(name);
    NST_CHECK(rec != nullptr, path, ": the zip has no record ", name, " for storage '",
              storage.text, "' (damaged or incomplete archive)");
    return zip.data(*rec);
  });
}

constexpr uint8_t kLegacyMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c,
                                    0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

NamedTensors read_legacy(const MappedFile& file, const NameFilter& wanted) {
  const std::string& path = file.path();
  std::span<const uint8_t> rest = file.bytes();
  pickle::Arena arena;
  Storages storages(path, 6, arena);
  auto next_pickle = [&] {
    std::size_t used = 0;
    ObjectPtr o = pickle::load(
        rest, path, arena, [&](const ObjectPtr& pid) { return storages.load(pid); }, &used);
    rest = rest.subspan(used);
    return o;
  };
  next_pickle();  // magic number, checked by the caller
  const ObjectPtr protocol = next_pickle();
  NST_CHECK(protocol->kind == Object::Kind::integer && protocol->integer == 1001, path,
            ": unsupported legacy protocol version");
  const ObjectPtr sys_info = next_pickle();
  NST_CHECK(sys_info->kind == Object::Kind::dict, path, ": damaged legacy header");
  for (const auto& [key, value] : sys_info->entries) {
    if (key->kind == Object::Kind::string && key->text == "little_endian") {
      NST_CHECK(value->integer == 1, path, ": big-endian checkpoints are not supported");
    }
  }
  const ObjectPtr root = next_pickle();
  const ObjectPtr keys = next_pickle();
  NST_CHECK(keys->kind == Object::Kind::list, path, ": damaged legacy storage list");

  // Storage data follows in the order of the key list: [u64 numel][numel * element bytes].
  std::map<std::string, std::span<const uint8_t>> data;
  for (const ObjectPtr& key : keys->items) {
    NST_CHECK(key->kind == Object::Kind::string, path, ": damaged legacy storage list");
    const Object* storage = storages.find(key->text);
    NST_CHECK(storage != nullptr, path, ": storage '", key->text, "' is listed but unused");
    NST_CHECK(rest.size() >= 8, path, ": truncated before the data of storage '", key->text, "'");
    int64_t numel;
    std::memcpy(&numel, rest.data(), sizeof numel);
    rest = rest.subspan(8);
    NST_CHECK(numel == storage->storage_numel, path, ": storage '", key->text, "' holds ", numel,
              " elements, the pickle says ", storage->storage_numel);
    const std::size_t element = storage_type(storage->name, path).size;
    NST_CHECK(static_cast<uint64_t>(numel) <= rest.size() / element, path, ": storage '", key->text,
              "' is truncated (", rest.size(), " bytes left for ", numel, " elements of ", element,
              " bytes)");
    const std::size_t bytes = static_cast<std::size_t>(numel) * element;
    data[key->text] = rest.first(bytes);
    rest = rest.subspan(bytes);
  }
  return collect(state_dict(root, path), wanted, path, [&](const Object& storage) {
    auto it = data.find(storage.text);
    NST_CHECK(it != data.end(), path, ": storage '", storage.text, "' has no data in the file");
    return it->second;
  });
}

}  // namespace

bool is_torch_checkpoint(std::span<const uint8_t> bytes) {
  return ZipArchive::looks_like_zip(bytes) ||
         (bytes.size() >= sizeof kLegacyMagic &&
          std::memcmp(bytes.data(), kLegacyMagic, sizeof kLegacyMagic) == 0) ||
         (bytes.size() > 262 && std::memcmp(bytes.data() + 257, "ustar", 5) == 0);
}

NamedTensors read_torch_checkpoint(const MappedFile& file, const NameFilter& wanted,
                                   std::string* format) {
  const std::string& path = file.path();
  if (ZipArchive::looks_like_zip(file.bytes())) {
    *format = "pytorch-zip";
    return read_zip(file, wanted);
  }
  // PyTorch before 0.4 could also write tar archives ("ustar" at byte 257).
  NST_CHECK(file.size() >= sizeof kLegacyMagic &&
                std::memcmp(file.bytes().data(), kLegacyMagic, sizeof kLegacyMagic) == 0,
            path,
            ": a tar-format checkpoint from PyTorch < 0.4, which is not supported; load it "
            "in PyTorch and save it again with torch.save");
  *format = "pytorch-legacy";
  return read_legacy(file, wanted);
}

}  // namespace nst
