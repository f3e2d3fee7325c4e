// `nst texture`: texture synthesis (nst/texture.h), the painting's texture with no photo.
#pragma once

#include <string>
#include <vector>

namespace nst::cli {

// args: what follows "nst texture". Returns the exit code.
int run_texture_command(const std::vector<std::string>& args);

}  // namespace nst::cli
