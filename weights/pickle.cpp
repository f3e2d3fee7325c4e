#include "weights/pickle.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "tensor/error.h"

namespace nst::pickle {

const char* Object::kind_name() const {
  static const char* const names[] = {"None",  "bool", "int",  "int",    "float",   "str",
                                      "tuple", "list", "dict", "global", "storage", "tensor"};
  return names[static_cast<int>(kind)];
}

namespace {

constexpr std::array<std::string_view, 14> kAllowedGlobals{"collections.OrderedDict",
                                                           "torch._utils._rebuild_tensor",
                                                           "torch._utils._rebuild_tensor_v2",
                                                           "torch._utils._rebuild_parameter",
                                                           "torch.FloatStorage",
                                                           "torch.HalfStorage",
                                                           "torch.BFloat16Storage",
                                                           "torch.DoubleStorage",
                                                           "torch.LongStorage",
                                                           "torch.IntStorage",
                                                           "torch.ShortStorage",
                                                           "torch.CharStorage",
                                                           "torch.ByteStorage",
                                                           "torch.BoolStorage"};

class Machine {
 public:
  Machine(std::span<const uint8_t> bytes, const std::string& path, Arena& arena,
          const PersistentLoad& load)
      : bytes_(bytes), path_(path), arena_(arena), persistent_load_(load) {}

  ObjectPtr run(std::size_t* consumed) {
    while (true) {
      const std::size_t at = pos_;
      const uint8_t op = u8();
      if (op == '.') {  // STOP
        if (consumed != nullptr) *consumed = pos_;
        NST_CHECK(stack_.size() == 1, path_, ": pickle ends with ", stack_.size(),
                  " values on its stack, expected 1");
        return stack_.back();
      }
      step(op, at);
    }
  }

 private:
  [[noreturn]] void error(std::size_t at, const std::string& what) const {
    fail(path_, ": pickle byte ", at, ": ", what);
  }

  const uint8_t* take(std::size_t n) {
    NST_CHECK(n <= bytes_.size() - pos_, path_, ": pickle is truncated at byte ", pos_);
    const uint8_t* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }
  template <class T>
  T little() {
    T v;
    std::memcpy(&v, take(sizeof v), sizeof v);
    return v;
  }
  uint8_t u8() { return little<uint8_t>(); }
  std::string text(std::size_t n) {
    NST_CHECK(n <= bytes_.size() - pos_, path_, ": pickle is truncated at byte ", pos_);
    return std::string(reinterpret_cast<const char*>(take(n)), n);
  }
  std::string line() {
    const auto* begin = bytes_.data() + pos_;
    const auto* end = std::find(begin, bytes_.data() + bytes_.size(), '\n');
    NST_CHECK(end != bytes_.data() + bytes_.size(), path_, ": pickle is truncated at byte ", pos_);
    std::string s(reinterpret_cast<const char*>(begin), static_cast<std::size_t>(end - begin));
    pos_ += s.size() + 1;
    return s;
  }

  ObjectPtr pop(std::size_t at) {
    if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back())) {
      error(at, "stack underflow");
    }
    ObjectPtr o = stack_.back();
    stack_.pop_back();
    return o;
  }
  std::vector<ObjectPtr> pop_to_mark(std::size_t at) {
    if (marks_.empty()) error(at, "no MARK on the stack");
    const std::size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<ObjectPtr> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }
  void push(ObjectPtr o) {
    NST_CHECK(stack_.size() < (1u << 20), path_, ": pickle stack grows without bound");
    stack_.push_back(std::move(o));
  }
  ObjectPtr make(Object::Kind kind) { return arena_.make(kind, path_); }
  // A container's depth after `item` went into it.
  void nest(Object& container, const Object& item, std::size_t at) {
    container.depth = std::max(container.depth, item.depth + 1);
    if (container.depth > kMaxDepth) {
      error(at, "containers nest deeper than " + std::to_string(kMaxDepth) +
                    " levels (not a state dict)");
    }
  }
  ObjectPtr container(Object::Kind kind, std::vector<ObjectPtr> items, std::size_t at) {
    ObjectPtr o = make(kind);
    for (ObjectPtr item : items) nest(*o, *item, at);
    o->items = std::move(items);
    return o;
  }

  ObjectPtr integer(int64_t v) {
    auto o = make(Object::Kind::integer);
    o->integer = v;
    return o;
  }
  ObjectPtr string(std::string s) {
    auto o = make(Object::Kind::string);
    o->text = std::move(s);
    return o;
  }
  ObjectPtr long_integer(std::size_t n) {
    const uint8_t* p = take(n);
    if (n <= 8) {  // two's complement, little-endian
      uint64_t v = 0;
      for (std::size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
      if (n > 0 && n < 8 && (p[n - 1] & 0x80)) v |= ~uint64_t{0} << (8 * n);
      return integer(static_cast<int64_t>(v));
    }
    auto o = make(Object::Kind::big_integer);  // only compared, never computed with
    o->text.assign(reinterpret_cast<const char*>(p), n);
    return o;
  }
  void memo_put(uint64_t index, std::size_t at) {
    if (stack_.empty()) error(at, "memoize with an empty stack");
    memo_[index] = stack_.back();
  }
  ObjectPtr memo_get(uint64_t index, std::size_t at) {
    const auto it = memo_.find(index);
    if (it == memo_.end()) error(at, "memo entry " + std::to_string(index) + " is not set");
    return it->second;
  }

  ObjectPtr global(std::string module, std::string name, std::size_t at) {
    const std::string full = module + "." + name;
    if (std::find(kAllowedGlobals.begin(), kAllowedGlobals.end(), full) == kAllowedGlobals.end()) {
      error(at, "refusing the global '" + full +
                    "': a state dict of tensors never needs it, and loading it could run code");
    }
    auto o = make(Object::Kind::global);
    o->module = std::move(module);
    o->name = std::move(name);
    return o;
  }

  static std::vector<int64_t> int_tuple(const ObjectPtr& o, const char* what,
                                        const std::string& path) {
    NST_CHECK(o->kind == Object::Kind::tuple, path, ": tensor ", what, " must be a tuple, got ",
              o->kind_name());
    std::vector<int64_t> out;
    for (const ObjectPtr& item : o->items) {
      NST_CHECK(item->kind == Object::Kind::integer, path, ": tensor ", what, " must hold ints");
      out.push_back(item->integer);
    }
    return out;
  }

  // What an allowed callable produces from its arguments.
  ObjectPtr call(const ObjectPtr& callable, const ObjectPtr& args, std::size_t at) {
    if (callable->kind != Object::Kind::global || args->kind != Object::Kind::tuple) {
      error(at, "REDUCE needs an allowed global and an argument tuple");
    }
    const std::string full = callable->module + "." + callable->name;
    const auto& a = args->items;
    if (full == "collections.OrderedDict") {
      ObjectPtr dict = make(Object::Kind::dict);
      if (a.empty()) return dict;  // Python 3: the items follow with SETITEMS
      // Python 2 pickles an OrderedDict with its items as the one argument: [[key, value], ...].
      if (a.size() != 1 || (a[0]->kind != Object::Kind::list && a[0]->kind != Object::Kind::tuple))
        error(at, "OrderedDict's argument must be a list of [key, value] pairs");
      for (ObjectPtr pair : a[0]->items) {
        if ((pair->kind != Object::Kind::list && pair->kind != Object::Kind::tuple) ||
            pair->items.size() != 2) {
          error(at, "OrderedDict's argument must be a list of [key, value] pairs");
        }
        set_items(dict, pair->items, at);
      }
      return dict;
    }
    if (full == "torch._utils._rebuild_tensor" || full == "torch._utils._rebuild_tensor_v2") {
      if (a.size() < 4 || a[0]->kind != Object::Kind::storage ||
          a[1]->kind != Object::Kind::integer) {
        error(at, full + " expects (storage, offset, size, stride, ...)");
      }
      auto t = make(Object::Kind::tensor);
      t->tensor.storage = a[0];
      t->tensor.offset = a[1]->integer;
      t->tensor.shape = int_tuple(a[2], "size", path_);
      t->tensor.strides = int_tuple(a[3], "stride", path_);
      return t;
    }
    if (full == "torch._utils._rebuild_parameter") {  // Parameter(data): keep the data
      if (a.empty() || a[0]->kind != Object::Kind::tensor) error(at, "bad _rebuild_parameter");
      return a[0];
    }
    error(at, "'" + full + "' cannot be called");
  }

  void set_items(const ObjectPtr& dict, const std::vector<ObjectPtr>& kv, std::size_t at) {
    if (dict->kind != Object::Kind::dict)
      error(at, "SETITEM(S) on a " + std::string(dict->kind_name()));
    if (kv.size() % 2 != 0) error(at, "SETITEMS with an odd number of values");
    for (std::size_t i = 0; i < kv.size(); i += 2) {
      nest(*dict, *kv[i], at);
      nest(*dict, *kv[i + 1], at);
      dict->entries.emplace_back(kv[i], kv[i + 1]);
    }
  }

  void step(uint8_t op, std::size_t at) {
    switch (op) {
      case 0x80: u8(); break;                            // PROTO
      case 0x95: little<uint64_t>(); break;              // FRAME: a size hint
      case '(': marks_.push_back(stack_.size()); break;  // MARK
      case 'N': push(make(Object::Kind::none)); break;
      case 0x88:
      case 0x89: {  // NEWTRUE, NEWFALSE
        auto b = make(Object::Kind::boolean);
        b->integer = op == 0x88;
        push(b);
        break;
      }
      case 'J': push(integer(little<int32_t>())); break;   // BININT
      case 'K': push(integer(u8())); break;                // BININT1
      case 'M': push(integer(little<uint16_t>())); break;  // BININT2
      case 0x8a: push(long_integer(u8())); break;          // LONG1
      case 0x8b: {                                         // LONG4
        const int32_t n = little<int32_t>();
        if (n < 0 || n > (1 << 16)) error(at, "implausible LONG4 size");
        push(long_integer(static_cast<std::size_t>(n)));
        break;
      }
      case 'G': {  // BINFLOAT: big-endian double
        uint64_t bits = __builtin_bswap64(little<uint64_t>());
        auto f = make(Object::Kind::real);
        std::memcpy(&f->real, &bits, sizeof bits);
        push(f);
        break;
      }
      case 'X': push(string(text(little<uint32_t>()))); break;   // BINUNICODE
      case 0x8c: push(string(text(u8()))); break;                // SHORT_BINUNICODE
      case 0x8d: push(string(text(little<uint64_t>()))); break;  // BINUNICODE8
      case 'T': {                                                // BINSTRING (Python 2)
        const int32_t n = little<int32_t>();
        if (n < 0) error(at, "negative string length");
        push(string(text(static_cast<std::size_t>(n))));
        break;
      }
      case 'U': push(string(text(u8()))); break;                // SHORT_BINSTRING
      case 'B': push(string(text(little<uint32_t>()))); break;  // BINBYTES
      case 'C': push(string(text(u8()))); break;                // SHORT_BINBYTES
      case ')': push(make(Object::Kind::tuple)); break;         // EMPTY_TUPLE
      case 't': push(container(Object::Kind::tuple, pop_to_mark(at), at)); break;  // TUPLE
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1..3
        std::vector<ObjectPtr> items(op - 0x84);
        for (auto it = items.rbegin(); it != items.rend(); ++it) *it = pop(at);
        push(container(Object::Kind::tuple, std::move(items), at));
        break;
      }
      case ']': push(make(Object::Kind::list)); break;                            // EMPTY_LIST
      case 'l': push(container(Object::Kind::list, pop_to_mark(at), at)); break;  // LIST
      case 'a': {                                                                 // APPEND
        ObjectPtr value = pop(at);
        ObjectPtr list = pop(at);
        if (list->kind != Object::Kind::list) error(at, "APPEND to a non-list");
        nest(*list, *value, at);
        list->items.push_back(value);
        push(list);
        break;
      }
      case 'e': {  // APPENDS
        std::vector<ObjectPtr> values = pop_to_mark(at);
        if (stack_.empty() || stack_.back()->kind != Object::Kind::list)
          error(at, "APPENDS to a non-list");
        for (ObjectPtr v : values) {
          nest(*stack_.back(), *v, at);
          stack_.back()->items.push_back(v);
        }
        break;
      }
      case '}': push(make(Object::Kind::dict)); break;  // EMPTY_DICT
      case 'd': {                                       // DICT
        auto dict = make(Object::Kind::dict);
        set_items(dict, pop_to_mark(at), at);
        push(dict);
        break;
      }
      case 's': {  // SETITEM
        ObjectPtr value = pop(at);
        ObjectPtr key = pop(at);
        if (stack_.empty()) error(at, "SETITEM without a dict");
        set_items(stack_.back(), {key, value}, at);
        break;
      }
      case 'u': {  // SETITEMS
        std::vector<ObjectPtr> kv = pop_to_mark(at);
        if (stack_.empty()) error(at, "SETITEMS without a dict");
        set_items(stack_.back(), kv, at);
        break;
      }
      case 'c': {  // GLOBAL "module\nname\n"
        std::string module = line();
        std::string name = line();
        push(global(std::move(module), std::move(name), at));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        ObjectPtr name = pop(at);
        ObjectPtr module = pop(at);
        if (name->kind != Object::Kind::string || module->kind != Object::Kind::string) {
          error(at, "STACK_GLOBAL needs two strings");
        }
        push(global(module->text, name->text, at));
        break;
      }
      case 'R': {  // REDUCE
        ObjectPtr args = pop(at);
        ObjectPtr callable = pop(at);
        push(call(callable, args, at));
        break;
      }
      case 0x81: {  // NEWOBJ: cls.__new__(cls, *args)
        ObjectPtr args = pop(at);
        ObjectPtr cls = pop(at);
        push(call(cls, args, at));
        break;
      }
      case 'b': {  // BUILD: an OrderedDict's attributes (e.g. _metadata) are not needed
        pop(at);   // the state
        if (stack_.empty() || stack_.back()->kind != Object::Kind::dict) {
          error(at, "BUILD is only accepted on a dict");
        }
        break;
      }
      case 'Q': {  // BINPERSID
        ObjectPtr pid = pop(at);
        push(persistent_load_(pid));
        break;
      }
      case 'q': memo_put(u8(), at); break;                      // BINPUT
      case 'r': memo_put(little<uint32_t>(), at); break;        // LONG_BINPUT
      case 0x94: memo_put(memo_.size(), at); break;             // MEMOIZE
      case 'h': push(memo_get(u8(), at)); break;                // BINGET
      case 'j': push(memo_get(little<uint32_t>(), at)); break;  // LONG_BINGET
      case '0': pop(at); break;                                 // POP
      case '1': pop_to_mark(at); break;                         // POP_MARK
      case '2': {                                               // DUP
        ObjectPtr top = pop(at);
        push(top);
        push(top);
        break;
      }
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        error(at, std::string("unsupported pickle opcode ") + hex +
                      " (not something a state dict of tensors contains)");
      }
    }
  }

  std::span<const uint8_t> bytes_;
  const std::string& path_;
  Arena& arena_;
  const PersistentLoad& persistent_load_;
  std::size_t pos_ = 0;
  std::vector<ObjectPtr> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<uint64_t, ObjectPtr> memo_;
};

}  // namespace

ObjectPtr Arena::make(Object::Kind kind, const std::string& path) {
  NST_CHECK(objects_.size() < kMaxObjects, path, ": the pickle makes more than ", kMaxObjects,
            " objects (not a state dict)");
  objects_.push_back(std::make_unique<Object>());
  objects_.back()->kind = kind;
  return objects_.back().get();
}

ObjectPtr load(std::span<const uint8_t> bytes, const std::string& path, Arena& arena,
               const PersistentLoad& persistent_load, std::size_t* consumed) {
  NST_CHECK(!bytes.empty(), path, ": no pickle data");
  return Machine(bytes, path, arena, persistent_load).run(consumed);
}

}  // namespace nst::pickle
