// `nst weights fetch | convert | info`.
#pragma once

#include <string>
#include <vector>

namespace nst::cli {

// args: what follows "nst weights". Returns the exit code.
int run_weights_command(const std::vector<std::string>& args);

}  // namespace nst::cli
