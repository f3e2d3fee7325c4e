#include "serve/job_json.h"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "serve/request_text.h"

namespace nst::serve {

std::string iso8601(double seconds) {
  const auto whole = static_cast<std::time_t>(std::floor(seconds));
  const int millis = static_cast<int>((seconds - static_cast<double>(whole)) * 1000);
  std::tm utc{};
  ::gmtime_r(&whole, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return text;
}

nlohmann::json job_json(const JobRecord& r, int queue_position) {
  const auto time = [](double t) { return t > 0 ? nlohmann::json(iso8601(t)) : nlohmann::json(); };
  nlohmann::json j{{"id", r.id},
                   {"state", state_name(r.state)},
                   {"iteration", r.iteration},
                   {"iterations", r.iterations},
                   {"losses", r.losses},
                   {"created", time(r.created)},
                   {"started", time(r.started)},
                   {"finished", time(r.finished)},
                   {"options", r.options},
                   {"content", r.content_name},
                   {"styles", r.style_names}};
  // Masks, when there are: one entry per painting, null where it has none.
  const auto masks = [](const std::vector<std::string>& names) {
    nlohmann::json list = nlohmann::json::array();
    for (const std::string& name : names) list.push_back(name.empty() ? nlohmann::json() : nlohmann::json(name));
    return list;
  };
  if (!r.style_mask_names.empty()) j["style_masks"] = masks(r.style_mask_names);
  if (!r.style_source_mask_names.empty())
    j["style_source_masks"] = masks(r.style_source_mask_names);
  if (!r.error.empty()) j["error"] = r.error;
  if (!r.ending.empty()) j["ending"] = r.ending;
  if (!r.worker.empty()) j["worker"] = r.worker;
  if (r.speed > 0) j["speed"] = r.speed;
  if (r.state == JobState::queued) j["queue_position"] = queue_position;
  return j;
}

std::string state_event_data(const JobRecord& record, int queue_position) {
  return json_text(job_json(record, queue_position));
}

std::string deleted_event_data(const std::string& id) {
  return json_text({{"id", id}, {"state", "deleted"}});
}

nlohmann::json losses_json(const IterationLosses& l) {
  return {{"iteration", l.iteration}, {"scale", l.scale}, {"total", l.total},
          {"content", l.content},     {"style", l.style}, {"tv", l.tv}};
}

}  // namespace nst::serve
