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
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace nst::pickle {

struct Object;
using ObjectPtr = std::shared_ptr<Object>;

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
  std::string module, name;   // global; a storage's type name ("FloatStorage")
  int64_t storage_numel = 0;  // storage
  TensorRef tensor;           // tensor

  const char* kind_name() const;
};

// Turns a persistent id (the tuple a BINPERSID names) into a storage object.
using PersistentLoad = std::function<ObjectPtr(const ObjectPtr& pid)>;

// Runs one pickle from the start of `bytes`; returns the result and sets `consumed` to the
// bytes read (a legacy checkpoint holds several pickles back to back). Errors name `path`.
ObjectPtr load(std::span<const uint8_t> bytes, const std::string& path,
               const PersistentLoad& persistent_load, std::size_t* consumed = nullptr);

}  // namespace nst::pickle
