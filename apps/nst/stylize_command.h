// `nst stylize`: paint a photo in the style of one or more pictures.
#pragma once

#include <string>
#include <vector>

namespace nst::cli {

int run_stylize_command(const std::vector<std::string>& args);

}  // namespace nst::cli
