// What a client sends to start a job, turned into a Job (nst/job.h).
//
// The options: a JSON object whose keys are `nst stylize`'s long option names without the
// dashes, {"size": 512, "style-weight": 1e3, "preserve-colors": "luminance"}. The values become job
// settings through the same code as the command line's (nst/settings_text.h), so they are checked,
// and refused with the same words ("size: 'big' is not a whole number"). Lists may be JSON arrays
// or comma-separated strings.
//
// Refused with a reason: options that name a file on the server (output, loss-log, weights,
// animation, resume, init FILE: clients never choose server paths), the command line's display
// options, `threads` (the server shares its cores among its workers), limits above the
// server's own, and unknown keys.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "nst/job.h"
#include "nst/plan.h"
#include "nst/settings.h"
#include "serve/job_files.h"
#include "serve/job_store.h"

namespace nst::serve {

// What the server lets each job have.
struct JobLimits {
  int64_t max_pixels = kDefaultMaxPixels;  // per input image and working size
  int64_t max_memory = 0;                  // bytes a run may need (nst/memory.h); 0: no cap
  int threads = 1;                         // each job's share of the cores
  int max_iterations = 5000;               // over all scales
  int max_styles = 10;                     // style pictures
};

struct JobOptions {
  JobSettings settings;  // validated (validate_settings) for `styles` style images
};

// Throws SettingError naming the option for anything refused, the limits' included.
JobOptions parse_job_options(const nlohmann::json& options, std::size_t styles,
                             const JobLimits& limits);

// The settings a stored job runs with: those its record keeps (validated when it was taken),
// with `limits`' threads; for a record stored before records kept them, its options parsed
// under `limits`.
JobSettings job_settings(const JobRecord& record, const JobLimits& limits);

// The job's plan (nst/plan.h) from the uploads' headers alone, without decoding them: each must
// be a PNG or JPEG within the pixel limit, decoding all of them must fit in the job's memory,
// and the plan's own checks must pass (pictures big enough, the run within its memory). So a
// request is judged in microseconds on the HTTP thread, and a picture is decoded once, by the
// worker that runs the job. nst::Error naming the upload ("style 2 (b.png): ...") or the option.
JobPlan plan_uploads(const JobUploads& uploads, const JobSettings& settings,
                     const JobLimits& limits);

// The job the uploads describe, decoded (sniffed: PNG or JPEG) with the settings' pixel limit;
// messages name each upload by its role and file name ("style 2 (b.png): ..."). nst::Error for
// an upload that is no picture, is corrupt, or is too large.
Job job_from_uploads(const JobUploads& uploads, const JobSettings& settings);

// What GET /api/settings answers: {"settings": [...], "limits": {...}}. Each setting a client
// may send, from the table (nst/setting_table.h): its name, type, default
// (the server's own, where its limits set one), minimum and maximum where there are, choices,
// and help line. A page builds its form from it, and sends only what differs from the defaults.
nlohmann::json settings_json(const JobLimits& limits);

// How the service's messages name a job setting: its option name, "style-weight".
std::string option_name(std::string_view field);

}  // namespace nst::serve
