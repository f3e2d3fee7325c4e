#include "serve/redis_jobs.h"

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

#include "serve/job_json.h"
#include "serve/request_text.h"

namespace nst::serve::redis {
namespace {

JobState state_from(const std::string& name) {
  const std::optional<JobState> state = parse_job_state(name);
  NST_CHECK(state, "Redis holds an unknown job state '", name, "'");
  return *state;
}

double number(const std::map<std::string, std::string>& f, const std::string& key) {
  const auto it = f.find(key);
  return it == f.end() || it->second.empty() ? 0.0 : std::stod(it->second);
}

}  // namespace

std::vector<std::string> all_job_keys(const std::string& id, std::size_t styles) {
  std::vector<std::string> keys{job_key(id)};
  for (const char* part : {"content", "preview", "resume", "result", "losses", "events"})
    keys.push_back(job_key(id, part));
  for (std::size_t i = 0; i < styles; ++i) keys.push_back(style_key(id, i));
  return keys;
}

std::optional<JobRecord> read_record(Redis& redis, const std::string& id) {
  const RedisValue all = redis.run({"HGETALL", job_key(id)});
  if (all.items.empty()) return std::nullopt;
  std::map<std::string, std::string> f;
  for (std::size_t i = 0; i + 1 < all.items.size(); i += 2)
    f[all.items[i].text] = all.items[i + 1].text;
  if (!f.count("state")) return std::nullopt;  // only leftovers of a deleted job
  JobRecord r;
  r.id = id;
  r.state = state_from(f["state"]);
  r.options = nlohmann::json::parse(f["options"]);
  if (!f["settings"].empty()) r.settings = settings_from_record_text(f["settings"]);
  r.content_name = f["content_name"];
  r.style_names = nlohmann::json::parse(f["style_names"]).get<std::vector<std::string>>();
  r.iteration = static_cast<int>(number(f, "iteration"));
  r.iterations = static_cast<int>(number(f, "iterations"));
  r.losses = f["losses"].empty() ? nlohmann::json() : nlohmann::json::parse(f["losses"]);
  r.created = number(f, "created");
  r.started = number(f, "started");
  r.finished = number(f, "finished");
  r.error = f["error"];
  r.worker = f["worker"];
  return r;
}

std::vector<std::string> record_fields(const JobRecord& r, long long ttl_seconds, long long seq) {
  const auto text = [](double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3f", v);
    return std::string(buffer);
  };
  return {"id",           r.id,
          "state",        std::string(state_name(r.state)),
          "options",      json_text(r.options),
          "settings",     r.settings ? settings_record_text(*r.settings) : "",
          "content_name", r.content_name,
          "style_names",  json_text(r.style_names),
          "iteration",    std::to_string(r.iteration),
          "iterations",   std::to_string(r.iterations),
          "losses",       r.losses.dump(),
          "created",      text(r.created),
          "started",      "0",
          "finished",     "0",
          "error",        "",
          "worker",       "",
          "owner",        "",
          "claims",       "0",
          "ttl",          std::to_string(ttl_seconds),
          "seq",          std::to_string(seq)};
}

std::string state_event_data(JobState state) {
  return nlohmann::json{{"state", state_name(state)}}.dump();
}

void expire_job(Redis& redis, const std::string& id) {
  const RedisValue fields = redis.run({"HMGET", job_key(id), "ttl", "style_names"});
  if (fields.items.size() != 2 || fields.items[0].is_nil()) return;
  const std::string ttl = fields.items[0].text;
  const std::size_t styles =
      nlohmann::json::parse(fields.items[1].text).get<std::vector<std::string>>().size();
  for (const std::string& key : all_job_keys(id, styles)) {
    if (key == job_key(id, "resume")) {
      redis.run({"DEL", key});
    } else {
      redis.run({"EXPIRE", key, ttl});
    }
  }
}

}  // namespace nst::serve::redis
