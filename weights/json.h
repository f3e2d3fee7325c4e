// JSON for safetensors headers: nlohmann-json does the reading and writing; this adds the
// checks such a header needs that a general reader leaves to its caller. Duplicate keys
// (nlohmann keeps the last one silently; a header whose tensors could be read two ways is
// refused) and nesting deeper than 64 are errors, like malformed text, trailing bytes, bad
// escapes and invalid UTF-8. Objects keep their key order; integers keep all 64 bits (offsets
// need them): non-negative ones are number_unsigned.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace nst::json {

using Value = nlohmann::ordered_json;

// Throws nst::Error "<what>: invalid JSON ...: <reason>", with the byte for a syntax error.
Value parse(std::string_view text, std::string_view what);
// A JSON string literal, escaped; nst::Error if `text` is not UTF-8.
std::string quote(std::string_view text);

}  // namespace nst::json
