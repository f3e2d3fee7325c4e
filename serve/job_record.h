// A job of the service as both backends keep it, and the one way it is written as text: named
// fields, which are the SQLite store's columns (serve/job_store.h), the Redis hash's fields
// (serve/redis_jobs.h) and, in Redis, what a state event carries. A new field of the record is
// one line in each of record_fields() and record_from_fields().
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nst/settings.h"

namespace nst::serve {

enum class JobState { queued, running, done, failed, cancelled };
std::string_view state_name(JobState state);
std::optional<JobState> parse_job_state(std::string_view name);  // nothing for an unknown name
double now_seconds();                  // the wall clock as records keep it: seconds since the epoch
bool is_finished(JobState state);      // done, failed or cancelled
std::string exact_text(double value);  // the shortest text that reads back as the same double

struct JobRecord {
  std::string id;
  JobState state = JobState::queued;
  nlohmann::json options = nlohmann::json::object();  // as the client sent them, checked
  // What the job runs with, validated under the limits of the server that took it (its threads
  // are the runner's). Nothing: a record stored before records kept them (job_settings()).
  std::optional<JobSettings> settings;
  std::string content_name;  // the uploads' file names, for display
  std::vector<std::string> style_names;
  // The masks' file names (mask_names() in serve/job_uploads.h): none, or one per painting with
  // "" where it has none.
  std::vector<std::string> style_mask_names, style_source_mask_names;
  int iteration = 0;      // done so far, over all scales
  int iterations = 0;     // planned
  nlohmann::json losses;  // the latest {"total", "content", "style", "tv"}, or null
  double created = 0, started = 0, finished = 0;  // seconds since the epoch; 0: not yet
  std::string error;                              // why it failed
  std::string ending;  // why its run ended: "converged at iteration 312: ..." (JobResult)
  std::string worker;  // Redis mode: the worker running it, then the one that finished it
  // A done job's speed: the pixel-iterations (each iteration's working pixels and its fixed
  // cost, iteration_cost() in nst/run_pace.h, summed) per second of its iterations in the
  // process that finished it (RunPace). What the server's
  // estimates of a new job's time go by (POST /api/estimate). 0: not measured.
  double speed = 0;
};

// The record as text fields by name: {"id", "state", "options", "settings", "content_name",
// "style_names", "iteration", "iterations", "losses", "created", "started", "finished",
// "error", "ending", "worker", "speed", "style_mask_names", "style_source_mask_names"}. Times keep
// milliseconds.
using RecordFields = std::map<std::string, std::string>;
RecordFields record_fields(const JobRecord& record);
// The names above, in that order.
const std::vector<std::string>& record_field_names();

// The inverse. Fields it does not know (a store's own bookkeeping) are passed over; absent
// or empty ones keep their defaults, so records written before a field existed stay readable.
// nst::Error naming the job and the field when one is malformed (a damaged store).
JobRecord record_from_fields(const RecordFields& fields);

// A job's settings as its record stores them: a JSON object of every setting's text by name
// (nst/setting_table.h), {"size": "512", "style-weight": "330", ...}, exact both ways. Reading
// starts from the defaults, so a setting newer than the record keeps its default; nst::Error
// for an unknown name or a malformed value (a damaged record).
std::string settings_record_text(const JobSettings& settings);
JobSettings settings_from_record_text(const std::string& text);

}  // namespace nst::serve
