// Errors with context. Every failure a user can cause is reported as nst::Error with a message
// that says what was expected and what was found (shapes, file names, values), never a bare
// "error". NST_CHECK streams its message parts only when the check fails.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace nst {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  std::ostringstream message;
  (message << ... << parts);
  throw Error(message.str());
}

}  // namespace nst

#define NST_CHECK(condition, ...) \
  do {                            \
    if (!(condition)) {           \
      ::nst::fail(__VA_ARGS__);   \
    }                             \
  } while (false)
