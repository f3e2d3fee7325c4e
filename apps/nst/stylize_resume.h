// What `nst stylize` keeps in a resume file besides the job itself (ResumeFile::extra): where
// its inputs and outputs are, and its display and snapshot options; and the fingerprints that
// a continued run checks its inputs against.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "apps/nst/stylize_options.h"
#include "nst/resume.h"

namespace nst::cli {

// `weights` is the weights actually used (the lookup's result when --weights was not given).
Metadata command_extras(const StylizeOptions& o, const std::string& weights);

// The options of the run saved in `resume` (read from `path`): the same job, files and options.
StylizeOptions options_from_resume(const ResumeFile& resume, const std::string& path);

// SHA-256 of the content, each style, the starting image and the weights; `weights` is the
// file used ("random:SEED" for an untrained network, fingerprinted as that text).
std::vector<std::pair<std::string, std::string>> input_fingerprints(const StylizeOptions& o,
                                                                    const std::string& weights);

// Throws nst::Error naming the input if a fingerprint differs from the saved one.
void check_inputs_unchanged(const ResumeFile& resume, const StylizeOptions& o,
                            const std::string& weights, const std::string& path);

}  // namespace nst::cli
