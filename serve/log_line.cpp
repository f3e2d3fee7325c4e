#include "serve/log_line.h"

#include <iostream>
#include <string>

namespace nst::serve {

void log_line(std::string_view who, std::string_view line) {
  std::string text;
  text.reserve(who.size() + line.size() + 3);
  text.append(who).append(": ").append(line).append("\n");
  std::cerr << text << std::flush;
}

}  // namespace nst::serve
