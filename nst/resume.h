// Resume files: a stopped or checkpointed run, made durable so that it can be continued exactly.
//
// The file is a safetensors file (so any safetensors tool can look inside) whose metadata
// starts with format = "nst-resume" and a version from "1" to "6" (nst/resume.cpp says what each
// added); a file without them, of another version, or with any field missing or malformed is
// refused with a message naming it, and it is read through the same validating safetensors
// reader as weights. It holds:
//   - every job setting (settings.<field>), the run's state (the optimiser's image, Adam's
//     moments and step or L-BFGS's history and scalars, the scale and iteration), and the
//     loss rows so far, all exact (doubles as 17 significant digits, tensors as float32);
//   - fingerprints: the SHA-256 of every input, so a continued run can refuse changed inputs;
//   - `extra`: what the face that wrote it needs (the CLI: its output files, display options).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "nn/module.h"
#include "nst/drivers.h"
#include "nst/job.h"
#include "weights/safetensors.h"

namespace nst {

struct ResumeFile {
  JobSettings settings;
  RunState state;
  std::vector<IterationLosses> rows;                              // the loss log so far
  std::vector<std::pair<std::string, std::string>> fingerprints;  // input name, SHA-256
  Metadata extra;
};

void write_resume_file(const std::string& path, const ResumeFile& resume);
ResumeFile read_resume_file(const std::string& path);

// Throws nst::Error naming `path` unless the saved state can continue `job`: its scale,
// iteration and image size are the job's. (The reader has checked its values are finite.)
void check_state_fits(const RunState& state, const PreparedJob& job, const std::string& path);

// The SHA-256 of a network's parameters, names and values in order: the weights a run used,
// taken from memory rather than by reading their file again. (Inputs: PreparedJob::fingerprints.)
std::string fingerprint(const nn::Module& model);

}  // namespace nst
