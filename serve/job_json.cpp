#include "serve/job_json.h"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "nst/setting_table.h"
#include "tensor/error.h"

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
  if (!r.error.empty()) j["error"] = r.error;
  if (!r.worker.empty()) j["worker"] = r.worker;
  if (r.state == JobState::queued) j["queue_position"] = queue_position;
  return j;
}

nlohmann::json losses_json(const IterationLosses& l) {
  return {{"iteration", l.iteration}, {"scale", l.scale}, {"total", l.total},
          {"content", l.content},     {"style", l.style}, {"tv", l.tv}};
}

std::string settings_record_text(const JobSettings& settings) {
  nlohmann::json object = nlohmann::json::object();
  for (const SettingSpec& spec : setting_specs())
    object[std::string(spec.name)] = spec.text(settings);
  return object.dump();
}

JobSettings settings_from_record_text(const std::string& text) {
  JobSettings settings;
  try {
    const nlohmann::json object = nlohmann::json::parse(text);
    NST_CHECK(object.is_object(), "not a JSON object");
    for (const auto& [name, value] : object.items()) {
      const SettingSpec* spec = find_setting(name);
      NST_CHECK(spec != nullptr, "unknown setting '", name, "'");
      NST_CHECK(value.is_string(), name, " is not text");
      spec->parse(settings, value.get<std::string>(), name);
    }
  } catch (const std::exception& e) {  // nlohmann's errors, SettingError, nst::Error
    fail("a job record's settings are damaged: ", e.what());
  }
  return settings;
}

}  // namespace nst::serve
