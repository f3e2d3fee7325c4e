// How the service writes its records in JSON: a job as GET /api/jobs/ID returns it, and the
// events of /api/jobs/ID/events, the same in both modes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "nst/objective.h"
#include "serve/job_record.h"

namespace nst::serve {

// {"id", "state", "iteration", "iterations", "losses", "created", "started", "finished",
//  "error", "ending", "options", "content", "styles", "queue_position"}; times in ISO 8601 UTC
//  or null; "error", "ending" and "queue_position" only when they say something.
nlohmann::json job_json(const JobRecord& record, int queue_position = 0);

// A state event (the job changed state): the job as GET /api/jobs/ID shows it at that moment.
std::string state_event_data(const JobRecord& record, int queue_position = 0);
// The last event of a job that is gone: deleted, expired, or lost by its store.
std::string deleted_event_data(const std::string& id);

// An iteration event: {"iteration", "scale", "total", "content", "style", "tv"}.
nlohmann::json losses_json(const IterationLosses& losses);

std::string iso8601(double seconds_since_epoch);  // "2026-12-01T15:04:05.123Z"

}  // namespace nst::serve
