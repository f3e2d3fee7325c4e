// What `nst stylize` keeps in a resume file besides the job itself (ResumeFile::extra): where
// its inputs are, the names of its outputs and the SHA-256 of what they held when the file was
// written, its display and snapshot options; and the fingerprints that a continued run checks
// its inputs against. A resume file may come from anyone: the paths it names are only read
// (and checked against their fingerprints), never written.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "apps/nst/stylize_options.h"
#include "nst/resume.h"

namespace nst::cli {

// `weights` is the weights actually used (the lookup's result when --weights was not given).
// Outputs are kept by name only, with the SHA-256 of what each holds now.
Metadata command_extras(const StylizeOptions& o, const std::string& weights);

// Updates the SHA-256 of the run's output, loss log and animation ("absent" for a file not
// there yet) in `extra`: called at every write of a resume file, so that a continued run can
// tell its own outputs from files it must not replace.
void record_written_outputs(Metadata& extra, const StylizeOptions& o);

// The run saved in `resume` (read from `path`), continued with what the command line `given`
// says (stylize_options.h): the same job, inputs and display options; the user's limits and
// threads, never the file's; outputs from --output or else the resume file's own name
// (out.png.nstresume writes out.png), the loss log and animation beside the output. A saved
// setting that cannot work is an nst::Error naming the file.
StylizeOptions options_from_resume(const ResumeFile& resume, const std::string& path,
                                   const StylizeOptions& given);

// Settings of a continued run are the file's, but for the limits: a message names those by
// their flag, the others by their key in the file ("settings.iterations").
bool is_limit(std::string_view field);
std::string resumed_field_name(std::string_view field);

// Whether the file at `path` holds exactly what the run saved in `resume` recorded for its
// output of `role` ("output", "loss_log", "animation").
bool is_own_output(const ResumeFile& resume, const std::string& role, const std::string& path);

// check_outputs for a continued run: an existing output may be replaced only if the resume
// file recorded exactly its contents, or with --overwrite.
void check_resumed_outputs(const ResumeFile& resume, const StylizeOptions& o);

// "out.png, out.csv and out.png.nstresume": what the run writes, for a user to see first.
std::string destinations(const StylizeOptions& o);

// SHA-256 of the content, each style and the starting image (as prepare() read them) and of
// the network's weights (as loaded).
std::vector<std::pair<std::string, std::string>> input_fingerprints(const PreparedJob& prepared,
                                                                    const nn::Module& model);

// Throws nst::Error naming the input if a fingerprint differs from the saved one. `weights`:
// the file used ("random:SEED" for an untrained network); files written before the weights
// were fingerprinted as loaded hold the file's SHA-256 (or that text's), which matches too.
void check_inputs_unchanged(const ResumeFile& resume, const StylizeOptions& o,
                            const PreparedJob& prepared, const nn::Module& model,
                            const std::string& weights, const std::string& path);

}  // namespace nst::cli
