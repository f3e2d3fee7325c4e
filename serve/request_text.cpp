#include "serve/request_text.h"

#include "tensor/error.h"

namespace nst::serve {
namespace {

// The length of the UTF-8 character at text[i], or 0 if the bytes there are not one.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  if (b < 0x80) return 1;
  std::size_t length = 0;
  uint32_t code = 0, least = 0;
  if ((b & 0xE0) == 0xC0) {
    length = 2, code = b & 0x1F, least = 0x80;
  } else if ((b & 0xF0) == 0xE0) {
    length = 3, code = b & 0x0F, least = 0x800;
  } else if ((b & 0xF8) == 0xF0) {
    length = 4, code = b & 0x07, least = 0x10000;
  } else {
    return 0;  // a continuation byte, or 0xF8 and up
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  const bool overlong = code < least, surrogate = code >= 0xD800 && code <= 0xDFFF;
  return overlong || surrogate || code > 0x10FFFF ? 0 : length;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Thrown from the parser's callback, which may not return an error of its own.
struct TooDeep {};

}  // namespace

bool is_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_length(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string excerpt(std::string_view text, std::size_t max_bytes) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_length(text, i);
    const std::string_view piece = length ? text.substr(i, length) : kReplacement;
    if (out.size() + piece.size() > max_bytes) return out + "...";
    out += piece;
    i += length ? length : 1;
  }
  return out;
}

std::string checked_file_name(const std::string& name, const std::string& role) {
  NST_CHECK(is_utf8(name), role, ": its file name is not UTF-8 text ('", excerpt(name), "')");
  NST_CHECK(name.size() <= kMaxFileNameBytes, role, ": its file name is over ", kMaxFileNameBytes,
            " bytes ('", excerpt(name), "')");
  for (const char c : name) {
    NST_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F, role,
              ": its file name holds a control character ('", excerpt(name), "')");
  }
  return name;
}

nlohmann::json parse_options_text(std::string_view text) {
  NST_CHECK(text.size() <= kMaxOptionsBytes, "options: ", text.size(), " bytes, over the limit of ",
            kMaxOptionsBytes);
  NST_CHECK(is_utf8(text), "options: not UTF-8 text ('", excerpt(text), "')");
  const nlohmann::json::parser_callback_t bounded =
      [](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
        const bool opens = event == nlohmann::json::parse_event_t::object_start ||
                           event == nlohmann::json::parse_event_t::array_start;
        if (opens && depth >= kMaxOptionsDepth) throw TooDeep{};
        return true;
      };
  try {
    return nlohmann::json::parse(text, bounded);
  } catch (const TooDeep&) {
    fail("options: nested deeper than ", kMaxOptionsDepth,
         " levels; they are one object of numbers, words and lists");
  } catch (const nlohmann::json::exception& e) {
    // nlohmann's message quotes the text near the error: excerpt it too.
    fail("options: not JSON: ", excerpt(e.what(), 160));
  }
}

}  // namespace nst::serve
