// `nst stylize`: paint a photo in the style of one or more pictures.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "apps/nst/stylize_options.h"
#include "nst/resume.h"

namespace nst::cli {

// With `texture`, nst texture (apps/nst/texture_command.h).
int run_stylize_command(const std::vector<std::string>& args,
                        const TextureCommand* texture = nullptr);

// Runs the parsed options (also `nst texture`'s), continuing `resumed` when given; returns the
// exit code.
int run_stylize(const StylizeOptions& options, const std::optional<ResumeFile>& resumed);

}  // namespace nst::cli
