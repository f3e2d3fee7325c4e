// What a job would take on this server before its pictures are sent (POST /api/estimate): its
// scales, iterations, memory and time. The time is that of its iterations, by the speed of the
// server's recent jobs (JobRecord::speed, pixel-iterations per second), so it is this server's,
// under its load; reading the pictures and the style targets come on top (seconds, for most
// pictures). Before any job has finished there is no speed to go by, and no time is said.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nst/image.h"
#include "nst/plan.h"
#include "serve/job_record.h"

namespace nst::serve {

struct MeasuredSpeed {
  double pixel_iterations_per_second = 0;  // 0: no job to go by
  int jobs = 0;                            // how many it is the median of
};

// The median speed of the `count` done jobs with a speed that finished last.
MeasuredSpeed recent_speed(const std::vector<JobRecord>& records, int count = 5);

// "640x480" as a picture's size; nst::Error naming `role` ("content", "style 2") for other
// text, a side of 0 or over 65535, or more pixels than `max_pixels`.
ImageSize parse_picture_size(const std::string& text, const std::string& role, int64_t max_pixels);

// The answer: {"scales": [{"width", "height", "iterations"}], "iterations", "memory" (bytes),
// "may_end_sooner" (the settings' tolerance can stop a scale early: the time is then at
// most), "seconds" (null without a speed), "speed": {"pixel_iterations_per_second", "jobs"}}.
nlohmann::json estimate_json(const JobPlan& plan, const JobSettings& settings,
                             const MeasuredSpeed& speed);

}  // namespace nst::serve
