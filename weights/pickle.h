// A restricted unpickler for PyTorch state dicts.
//
// Python's pickle is a small stack machine that can call any importable function; loading an
// untrusted checkpoint with it can run arbitrary code. This reader executes only the opcodes a
// state dict uses and resolves only an allow-list of globals:
//   collections.OrderedDict, torch._utils._rebuild_tensor, torch._utils._rebuild_tensor_v2,
//   torch._utils._rebuild_parameter, and the storage types torch.{Float,Half,BFloat16,Double,
//   Long,Int,Short,Char,Byte,Bool}Storage.
// Any other global is refused with an error naming it; nothing is ever executed or guessed at.
// Tensors come out as references to storages, which the checkpoint reader resolves.
//
// A hostile pickle is a program too, so its resources are bounded: every object lives in an
// Arena that frees them all at once (a list that contains itself, or a million nested tuples,
// cannot leak or overflow the stack when freed), containers nest at most kMaxDepth deep, an
// arena holds at most kMaxObjects objects, and the memo is a map, not a table sized by the
// largest index a file names.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace nst::pickle {

struct Object;
using ObjectPtr = Object*;  // owned by an Arena

// A tensor described by a pickle: which storage it views and how.
struct TensorRef {
  ObjectPtr storage;  // an Object of kind storage
  int64_t offset = 0;
  std::vector<int64_t> shape, strides;
};

struct Object {
  enum class Kind {
    none,
    boolean,
    integer,
    big_integer,
    real,
    string,
    tuple,
    list,
    dict,
    global,
    storage,
    tensor
  };
  Kind kind = Kind::none;
  int64_t integer = 0;  // also the boolean
  double real = 0.0;
  std::string text;              // string; big_integer's little-endian bytes; storage key
  std::vector<ObjectPtr> items;  // tuple, list
  std::vector<std::pair<ObjectPtr, ObjectPtr>> entries;  // dict, in insertion order
  std::string module, name;    // global; a storage's type name ("FloatStorage")
  int64_t storage_numel = 0;   // storage: elements
  int64_t storage_offset = 0;  // storage: a view's first element in the storage `text` names
  bool storage_view = false;   // storage: a legacy view into another storage
  TensorRef tensor;            // tensor
  int depth = 1;               // containers: 1 + the deepest item when built

  const char* kind_name() const;
};

constexpr int kMaxDepth = 100;                             // a state dict nests a few levels
constexpr std::size_t kMaxObjects = std::size_t{1} << 18;  // a state dict has thousands

// Owns every object of one or more pickles (a legacy checkpoint holds five).
class Arena {
 public:
  ObjectPtr make(Object::Kind kind, const std::string& path);  // errors name path
  std::size_t size() const { return objects_.size(); }

 private:
  std::vector<std::unique_ptr<Object>> objects_;
};

// Turns a persistent id (the tuple a BINPERSID names) into a storage object.
using PersistentLoad = std::function<ObjectPtr(const ObjectPtr& pid)>;

// Runs one pickle from the start of `bytes`; returns the result, owned by `arena`, and sets
// `consumed` to the bytes read (a legacy checkpoint holds several pickles back to back).
// Errors name `path`.
ObjectPtr load(std::span<const uint8_t> bytes, const std::string& path, Arena& arena,
               const PersistentLoad& persistent_load, std::size_t* consumed = nullptr);

}  // namespace nst::pickle
