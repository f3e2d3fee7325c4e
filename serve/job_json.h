// How the service writes its records in JSON: a job as GET /api/jobs/ID returns it, and one
// iteration's losses as its events carry them.
#pragma once

#include <nlohmann/json.hpp>

#include "nst/objective.h"
#include "serve/job_store.h"

namespace nst::serve {

// {"id", "state", "iteration", "iterations", "losses", "created", "started", "finished",
//  "error", "options", "content", "styles", "queue_position"}; times in ISO 8601 UTC or null.
nlohmann::json job_json(const JobRecord& record, int queue_position = 0);

// {"iteration", "scale", "total", "content", "style", "tv"}.
nlohmann::json losses_json(const IterationLosses& losses);

std::string iso8601(double seconds_since_epoch);  // "2026-12-01T15:04:05.123Z"

// A job's settings as its record stores them: a JSON object of every setting's text by name
// (nst/setting_table.h), {"size": "512", "style-weight": "330", ...}, exact both ways. Reading
// starts from the defaults, so a setting newer than the record keeps its default; nst::Error
// for an unknown name or a malformed value (a damaged record).
std::string settings_record_text(const JobSettings& settings);
JobSettings settings_from_record_text(const std::string& text);

}  // namespace nst::serve
