// A strict JSON reader, enough for safetensors headers, and string quoting for writing them:
// objects keep their key order, numbers keep whether they were integers (offsets need all 64 bits),
// and anything malformed -- trailing bytes, duplicate keys, bad escapes, invalid UTF-8, nesting
// deeper than 64 -- is an error that says where.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace nst::json {

struct Value;
struct Member;                       // a key and its value
using Object = std::vector<Member>;  // in file order, keys unique
using Array = std::vector<Value>;

struct Value {
  std::variant<std::nullptr_t, bool, int64_t, double, std::string, Array, Object> data;

  bool is_object() const { return std::holds_alternative<Object>(data); }
  bool is_array() const { return std::holds_alternative<Array>(data); }
  bool is_string() const { return std::holds_alternative<std::string>(data); }
  bool is_integer() const { return std::holds_alternative<int64_t>(data); }
  const Object& object() const { return std::get<Object>(data); }
  const Array& array() const { return std::get<Array>(data); }
  const std::string& string() const { return std::get<std::string>(data); }
  int64_t integer() const { return std::get<int64_t>(data); }
  const Value* find(std::string_view key) const;  // in an object; null if absent
};

// (A struct rather than std::pair: a pair of an incomplete Value cannot be named inside Value
// with every standard library.)
struct Member {
  std::string key;
  Value value;
};

// Throws nst::Error "<what>: invalid JSON at byte N: <reason>".
Value parse(std::string_view text, std::string_view what);
std::string quote(std::string_view text);  // a JSON string literal, escaped

}  // namespace nst::json
