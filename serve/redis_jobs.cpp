#include "serve/redis_jobs.h"

#include <nlohmann/json.hpp>

#include "serve/job_uploads.h"
#include "tensor/error.h"

namespace nst::serve::redis {

std::string upload_key(const std::string& id, const std::string& name) {
  const std::size_t last_dash = name.rfind('-');
  if (last_dash == std::string::npos) return job_key(id, name);  // "content"
  return job_key(id, name.substr(0, last_dash) + ":" + name.substr(last_dash + 1));
}

std::vector<std::string> all_job_keys(const std::string& id,
                                      const std::vector<std::string>& upload_names) {
  std::vector<std::string> keys{job_key(id)};
  for (const char* part : {"content", "preview", "resume", "result", "losses", "events"})
    keys.push_back(job_key(id, part));
  for (const std::string& name : upload_names) {
    if (name != "content") keys.push_back(upload_key(id, name));
  }
  return keys;
}

std::optional<JobRecord> read_record(Redis& redis, const std::string& id) {
  const RedisValue all = redis.run({"HGETALL", job_key(id)});
  RecordFields fields;
  for (std::size_t i = 0; i + 1 < all.items.size(); i += 2)
    fields[all.items[i].text] = all.items[i + 1].text;
  if (!fields.count("state")) return std::nullopt;  // gone, or only leftovers of a deleted job
  fields["id"] = id;
  return record_from_fields(fields);
}

std::vector<std::string> hash_fields(const JobRecord& record, long long ttl_seconds,
                                     long long seq) {
  RecordFields fields = record_fields(record);
  fields.insert({{"owner", ""},
                 {"claims", "0"},
                 {"attempts", "0"},
                 {"ttl", std::to_string(ttl_seconds)},
                 {"seq", std::to_string(seq)}});
  std::vector<std::string> args;
  for (auto& [name, text] : fields) {
    args.push_back(name);
    args.push_back(std::move(text));
  }
  return args;
}

std::string with_state_event(const std::string& script) {
  // HMGET answers false for a field the hash lacks.
  std::string function = R"lua(
local function state_event(hash, stream, queue_position)
  local names = {NAMES}
  local values = redis.call('HMGET', hash, unpack(names))
  local record = {}
  for i, name in ipairs(names) do record[name] = values[i] or '' end
  if queue_position then record['queue_position'] = tostring(queue_position) end
  redis.call('XADD', stream, '*', 'type', 'state', 'data', cjson.encode(record))
end
)lua";
  std::string names;
  for (const std::string& name : record_field_names()) names += "'" + name + "', ";
  function.replace(function.find("NAMES"), 5, names);
  return function + script;
}

StateEvent read_state_event(const std::string& data, const std::string& id) {
  RecordFields fields;
  StateEvent event;
  try {
    const nlohmann::json object = nlohmann::json::parse(data);
    NST_CHECK(object.is_object(), "not a JSON object");
    for (const auto& [name, value] : object.items()) fields[name] = value.get<std::string>();
    if (const auto position = fields.find("queue_position"); position != fields.end())
      event.queue_position = std::stoi(position->second);
  } catch (const std::exception& e) {
    fail("job ", id, ": a state event in Redis is damaged: ", e.what());
  }
  fields["id"] = id;
  event.record = record_from_fields(fields);
  return event;
}

void expire_job(Redis& redis, const std::string& id) {
  const RedisValue ttl_field = redis.run({"HGET", job_key(id), "ttl"});
  const std::optional<JobRecord> record = read_record(redis, id);
  if (ttl_field.is_nil() || !record) return;
  const std::string ttl = ttl_field.text;
  for (const std::string& key : all_job_keys(id, upload_names(*record))) {
    if (key == job_key(id, "resume")) {
      redis.run({"DEL", key});
    } else {
      redis.run({"EXPIRE", key, ttl});
    }
  }
}

}  // namespace nst::serve::redis
