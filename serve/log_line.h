// The service's log: standard error, each line in one write, so that the lines of its threads
// (and of the processes sharing a terminal or a journal) never mix mid-line.
#pragma once

#include <string_view>

namespace nst::serve {

// Writes "WHO: LINE\n", e.g. log_line("nst serve", "job 3f2a... done in 12 s").
void log_line(std::string_view who, std::string_view line);

}  // namespace nst::serve
