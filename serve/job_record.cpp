#include "serve/job_record.h"

#include <charconv>
#include <chrono>
#include <cstdio>

#include "nst/setting_table.h"
#include "serve/request_text.h"
#include "tensor/error.h"

namespace nst::serve {
namespace {

constexpr const char* kStateNames[] = {"queued", "running", "done", "failed", "cancelled"};

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", seconds);
  return text;
}

template <typename Number>
Number number_from(const std::string& text) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  NST_CHECK(error == std::errc() && end == text.data() + text.size(), "'", excerpt(text),
            "' is not a number");
  return value;
}

// Reads one field into the record; what it throws is named with the field by the caller.
void read_field(JobRecord& r, const std::string& name, const std::string& text) {
  if (name == "id") {
    r.id = text;
  } else if (name == "state") {
    const std::optional<JobState> state = parse_job_state(text);
    NST_CHECK(state, "unknown state '", excerpt(text), "'");
    r.state = *state;
  } else if (name == "options") {
    r.options = nlohmann::json::parse(text);
  } else if (name == "settings") {
    r.settings = settings_from_record_text(text);
  } else if (name == "content_name") {
    r.content_name = text;
  } else if (name == "style_names") {
    r.style_names = nlohmann::json::parse(text).get<std::vector<std::string>>();
  } else if (name == "style_mask_names") {
    r.style_mask_names = nlohmann::json::parse(text).get<std::vector<std::string>>();
  } else if (name == "style_source_mask_names") {
    r.style_source_mask_names = nlohmann::json::parse(text).get<std::vector<std::string>>();
  } else if (name == "iteration") {
    r.iteration = number_from<int>(text);
  } else if (name == "iterations") {
    r.iterations = number_from<int>(text);
  } else if (name == "losses") {
    r.losses = nlohmann::json::parse(text);
  } else if (name == "created") {
    r.created = number_from<double>(text);
  } else if (name == "started") {
    r.started = number_from<double>(text);
  } else if (name == "finished") {
    r.finished = number_from<double>(text);
  } else if (name == "error") {
    r.error = text;
  } else if (name == "ending") {
    r.ending = text;
  } else if (name == "worker") {
    r.worker = text;
  } else if (name == "speed") {
    r.speed = number_from<double>(text);
  }
}

}  // namespace

std::string exact_text(double value) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, value).ptr;
  return std::string(text, end);
}

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string_view state_name(JobState state) { return kStateNames[static_cast<int>(state)]; }

std::optional<JobState> parse_job_state(std::string_view name) {
  for (int i = 0; i < 5; ++i) {
    if (name == kStateNames[i]) return static_cast<JobState>(i);
  }
  return std::nullopt;
}

bool is_finished(JobState state) {
  return state == JobState::done || state == JobState::failed || state == JobState::cancelled;
}

RecordFields record_fields(const JobRecord& r) {
  return {{"id", r.id},
          {"state", std::string(state_name(r.state))},
          {"options", json_text(r.options)},
          {"settings", r.settings ? settings_record_text(*r.settings) : ""},
          {"content_name", r.content_name},
          {"style_names", json_text(r.style_names)},
          {"iteration", std::to_string(r.iteration)},
          {"iterations", std::to_string(r.iterations)},
          {"losses", json_text(r.losses)},
          {"created", seconds_text(r.created)},
          {"started", seconds_text(r.started)},
          {"finished", seconds_text(r.finished)},
          {"error", r.error},
          {"ending", r.ending},
          {"worker", r.worker},
          {"speed", r.speed > 0 ? exact_text(r.speed) : ""},
          {"style_mask_names", json_text(r.style_mask_names)},
          {"style_source_mask_names", json_text(r.style_source_mask_names)}};
}

const std::vector<std::string>& record_field_names() {
  static const std::vector<std::string> names{"id",
                                              "state",
                                              "options",
                                              "settings",
                                              "content_name",
                                              "style_names",
                                              "iteration",
                                              "iterations",
                                              "losses",
                                              "created",
                                              "started",
                                              "finished",
                                              "error",
                                              "ending",
                                              "worker",
                                              "speed",
                                              "style_mask_names",
                                              "style_source_mask_names"};
  return names;
}

JobRecord record_from_fields(const RecordFields& fields) {
  JobRecord record;
  const auto id = fields.find("id");
  const std::string job = id == fields.end() ? "?" : excerpt(id->second);
  for (const std::string& name : record_field_names()) {
    const auto field = fields.find(name);
    if (field == fields.end() || field->second.empty()) continue;
    try {
      read_field(record, name, field->second);
    } catch (const std::exception& e) {  // nlohmann's errors, nst::Error
      fail("job ", job, ": the record's ", name, " is damaged: ", e.what());
    }
  }
  return record;
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
