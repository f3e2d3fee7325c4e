// Crafted PyTorch checkpoints for tests of hostile input: pickles written opcode by opcode, and
// the legacy (pre-zip) file layout around them, with whatever sizes, strides and storage
// lengths a test wants, true or not.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace nst::testing {

class PickleWriter {
 public:
  PickleWriter() { bytes_ += "\x80\x02"; }  // PROTO 2
  PickleWriter& op(std::string_view opcodes) {
    bytes_ += opcodes;
    return *this;
  }
  PickleWriter& integer(int64_t v) {
    if (v >= INT32_MIN && v <= INT32_MAX) return op("J").little(static_cast<int32_t>(v));
    return op("\x8a\x08").little(v);  // LONG1, 8 bytes
  }
  PickleWriter& string(std::string_view s) {
    return op("X").little(static_cast<uint32_t>(s.size())).op(s);
  }
  PickleWriter& global(std::string_view module, std::string_view name) {
    return op("c").op(module).op("\n").op(name).op("\n");
  }
  PickleWriter& int_tuple(const std::vector<int64_t>& values) {
    op("(");
    for (int64_t v : values) integer(v);
    return op("t");
  }
  std::string finish() const { return bytes_ + "."; }

 private:
  template <class T>
  PickleWriter& little(T v) {
    char b[sizeof v];
    std::memcpy(b, &v, sizeof v);
    bytes_.append(b, sizeof v);
    return *this;
  }
  std::string bytes_;
};

// What a crafted tensor claims about itself and its storage.
struct CraftedTensor {
  int64_t storage_numel = 1;                // in the pickle and in the data header
  std::string data = std::string(4, '\0');  // the storage's bytes (float32)
  int64_t offset = 0;
  std::vector<int64_t> shape{1}, strides{1};
};

// The state dict {"w": tensor} as a pickle.
inline std::string tensor_dict_pickle(const CraftedTensor& t) {
  PickleWriter p;
  p.op("}").string("w").global("torch._utils", "_rebuild_tensor_v2").op("(");
  p.op("(").string("storage").global("torch", "FloatStorage").string("0").string("cpu");
  p.integer(t.storage_numel).op("Nt").op("Q");                             // BINPERSID
  p.integer(t.offset).int_tuple(t.shape).int_tuple(t.strides).op("\x89");  // requires_grad
  p.global("collections", "OrderedDict").op(")R");
  p.op("tRs");  // the argument tuple, REDUCE, SETITEM
  return p.finish();
}

// A legacy checkpoint: magic number, protocol, sys_info, `root`, the storage keys, then each
// storage as [u64 numel][bytes]: here storage "0" of `t`, or none.
inline std::string legacy_checkpoint(const std::string& root, const CraftedTensor* t = nullptr) {
  std::string file = "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.";
  file += PickleWriter().op("M\xe9\x03").finish();  // protocol 1001
  file += PickleWriter().op("}").finish();          // sys_info
  file += root;
  if (t == nullptr) return file + PickleWriter().op("]").finish();
  file += PickleWriter().op("]").string("0").op("a").finish();
  char numel[8];
  std::memcpy(numel, &t->storage_numel, sizeof numel);
  file.append(numel, sizeof numel);
  return file + t->data;
}

inline std::string legacy_checkpoint(const CraftedTensor& t) {
  return legacy_checkpoint(tensor_dict_pickle(t), &t);
}

// A legacy checkpoint the way PyTorch 0.3 under Python 2 wrote one: the OrderedDict pickled with
// its items as a list of [key, value] lists, byte-string keys, _rebuild_tensor with four
// arguments, and two tensors that are views (view_metadata) of one storage "root" holding the
// floats 0..5: a = root[0:2] as [2], b = root[2:6] as [2, 2].
inline std::string python2_checkpoint() {
  auto view = [](PickleWriter& p, const std::string& key, int64_t offset, int64_t size) {
    p.op("(").string("storage").global("torch", "FloatStorage").string("root").string("cpu");
    p.integer(6).op("(").op("U").op(std::string(1, static_cast<char>(key.size()))).op(key);
    p.integer(offset).integer(size).op("t").op("t").op("Q");
  };
  PickleWriter p;
  p.global("collections", "OrderedDict").op("(").op("]").op("(");
  p.op("]")
      .op("(")
      .op("U\x01"
          "a")
      .global("torch._utils", "_rebuild_tensor")
      .op("(");
  view(p, "va", 0, 2);
  p.integer(0).int_tuple({2}).int_tuple({1}).op("tR").op("e");
  p.op("]")
      .op("(")
      .op("U\x01"
          "b")
      .global("torch._utils", "_rebuild_tensor")
      .op("(");
  view(p, "vb", 2, 4);
  p.integer(0).int_tuple({2, 2}).int_tuple({2, 1}).op("tR").op("e");
  p.op("e").op("t").op("R");  // the pairs, OrderedDict's argument tuple, REDUCE
  std::string data;
  for (int i = 0; i < 6; ++i) {
    const float v = static_cast<float>(i);
    data.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  CraftedTensor root;
  root.storage_numel = 6;
  root.data = data;
  std::string file = legacy_checkpoint(p.finish(), &root);
  // legacy_checkpoint names the storage "0": rename the key list's entry to "root".
  const std::string listed = PickleWriter().op("]").string("0").op("a").finish();
  file.replace(file.find(listed), listed.size(),
               PickleWriter().op("]").string("root").op("a").finish());
  return file;
}

}  // namespace nst::testing
