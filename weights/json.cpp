#include "weights/json.h"

#include <set>
#include <vector>

#include "tensor/error.h"

namespace nst::json {
namespace {

constexpr int kMaxDepth = 64;

// Thrown from the parser's callback, which sees structure but not byte positions.
struct Refused {
  std::string reason;
};

}  // namespace

Value parse(std::string_view text, std::string_view what) {
  std::vector<std::set<std::string>> keys;  // of each object being read, innermost last
  const Value::parser_callback_t check = [&](int depth, Value::parse_event_t event,
                                             Value& parsed) {
    switch (event) {
      case Value::parse_event_t::object_start:
      case Value::parse_event_t::array_start:
        if (depth >= kMaxDepth) throw Refused{"nested deeper than 64"};
        if (event == Value::parse_event_t::object_start) keys.emplace_back();
        break;
      case Value::parse_event_t::object_end:
        keys.pop_back();
        break;
      case Value::parse_event_t::key:
        if (!keys.back().insert(parsed.get<std::string>()).second)
          throw Refused{"duplicate key \"" + parsed.get<std::string>() + "\""};
        break;
      default:
        break;
    }
    return true;
  };
  try {
    return Value::parse(text.begin(), text.end(), check);
  } catch (const Refused& e) {
    fail(what, ": invalid JSON: ", e.reason);
  } catch (const nlohmann::json::parse_error& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 9: ..."
    const std::string message = e.what();
    const std::size_t reason = message.find(": ", message.find("parse error"));
    fail(what, ": invalid JSON at byte ", e.byte, ": ",
         reason == std::string::npos ? message : message.substr(reason + 2));
  } catch (const nlohmann::json::exception& e) {  // e.g. a number too large for a double
    fail(what, ": invalid JSON: ", e.what());
  }
}

std::string quote(std::string_view text) {
  try {
    return nlohmann::json(std::string(text)).dump();
  } catch (const nlohmann::json::type_error&) {
    fail("cannot write \"", text, "\" in JSON: it is not UTF-8 text");
  }
}

}  // namespace nst::json
