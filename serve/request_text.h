// Text that arrives in a request (file names, the options JSON) is checked before anything is
// stored or echoed: it must be UTF-8, it is bounded in bytes and, for JSON, in depth; and what a
// message quotes of it is a short excerpt, never the whole thing.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace nst::serve {

// Bounds on what a client's text may be.
constexpr std::size_t kMaxFileNameBytes = 255;      // an upload's file name
constexpr std::size_t kMaxOptionsBytes = 64 << 10;  // the options part of the form
constexpr int kMaxOptionsDepth = 4;                 // {"a": [1, 2]} is depth 2
constexpr std::size_t kMaxMessageBytes = 400;       // an error message sent to a client
constexpr std::size_t kExcerptBytes = 60;           // what a message quotes of a value

// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool is_utf8(std::string_view text);

// At most `max_bytes` of `text`, cut at a character boundary, with "..." when cut; bytes that
// are not UTF-8 become U+FFFD, so the excerpt is always valid text.
std::string excerpt(std::string_view text, std::size_t max_bytes = kExcerptBytes);

// An upload's file name as it will be stored and shown: checked to be UTF-8, without control
// characters and at most kMaxFileNameBytes. nst::Error naming `role` ("content", "style 2")
// otherwise.
std::string checked_file_name(const std::string& name, const std::string& role);

// JSON as text, never throwing: a string that is not UTF-8 (none should get this far) is
// written with U+FFFD in place of its bad bytes rather than failing a reply or a record.
inline std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The options part parsed as JSON, refused (nst::Error, "options: ...") when it is over
// kMaxOptionsBytes, nested deeper than kMaxOptionsDepth, not JSON, or not UTF-8; the message
// quotes no more than an excerpt of it.
nlohmann::json parse_options_text(std::string_view text);

}  // namespace nst::serve
