#include "serve/redis_backend.h"

#include <nlohmann/json.hpp>

#include "serve/job_json.h"
#include "serve/redis_jobs.h"
#include "serve/request_text.h"

namespace nst::serve {
namespace {

using namespace redis;

// Checks the queue's length and records the job in one step, so that two API nodes cannot both
// take the last place. The uploads were stored before with an expiry, which this removes.
// KEYS: job hash, nst:jobs, nst:queued, nst:queue, events, uploads...
// ARGV: max queued, id, seq, state event, hash fields...
constexpr const char* kSubmit = R"lua(
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
for i = 6, #KEYS do redis.call('PERSIST', KEYS[i]) end
redis.call('XADD', KEYS[5], '*', 'type', 'state', 'data', ARGV[4])
redis.call('XADD', KEYS[4], '*', 'job', ARGV[2])
return 1
)lua";

// A queued or running job becomes cancelled. KEYS: job hash, nst:queued, events.
// ARGV: id, now, state event. Returns the state it had, or false.
constexpr const char* kCancel = R"lua(
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'queued' and state ~= 'running' then return false end
redis.call('HSET', KEYS[1], 'state', 'cancelled', 'finished', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('XADD', KEYS[3], '*', 'type', 'state', 'data', ARGV[3])
return state
)lua";

constexpr auto kUploadGrace = 3600;  // seconds uploads live if their job never gets recorded

}  // namespace

RedisBackend::RedisBackend(const RedisAddress& address, long long ttl_seconds)
    : redis_(address), ttl_seconds_(ttl_seconds) {}

bool RedisBackend::submit(const JobRecord& record, const Upload& content,
                          const std::vector<Upload>& styles, int max_queued) {
  const std::string& id = record.id;
  std::vector<std::string> keys{
      job_key(id), kJobs, kQueued, kQueue, job_key(id, "events"), job_key(id, "content")};
  redis_.run({"SET", job_key(id, "content"), content.bytes, "EX", std::to_string(kUploadGrace)});
  for (std::size_t i = 0; i < styles.size(); ++i) {
    keys.push_back(style_key(id, i));
    redis_.run({"SET", keys.back(), styles[i].bytes, "EX", std::to_string(kUploadGrace)});
  }
  const long long seq = redis_.run({"INCR", "nst:seq"}).integer;
  std::vector<std::string> args{std::to_string(max_queued), id, std::to_string(seq),
                                state_event_data(JobState::queued)};
  for (std::string& field : record_fields(record, ttl_seconds_, seq)) args.push_back(field);
  if (redis_.eval(kSubmit, keys, args).integer == 1) return true;
  for (std::size_t i = 5; i < keys.size(); ++i) redis_.run({"DEL", keys[i]});
  return false;
}

std::optional<JobRecord> RedisBackend::get(const std::string& id) {
  return read_record(redis_, id);
}

std::vector<JobRecord> RedisBackend::list() {
  std::vector<JobRecord> records;
  for (const RedisValue& id : redis_.run({"ZREVRANGE", kJobs, "0", "-1"}).items) {
    if (std::optional<JobRecord> record = read_record(redis_, id.text)) {
      records.push_back(std::move(*record));
    } else {
      redis_.run({"ZREM", kJobs, id.text});  // expired
    }
  }
  return records;
}

int RedisBackend::queue_position(const std::string& id) {
  const RedisValue rank = redis_.run({"ZRANK", kQueued, id});
  return rank.is_nil() ? 0 : static_cast<int>(rank.integer) + 1;
}

bool RedisBackend::cancel(const std::string& id) {
  const RedisValue was =
      redis_.eval(kCancel, {job_key(id), kQueued, job_key(id, "events")},
                  {id, std::to_string(now_seconds()), state_event_data(JobState::cancelled)});
  if (was.is_nil()) return false;
  // A running job's worker sees it within a second, stops and cleans up; a queued one is done.
  if (parse_job_state(was.text) == JobState::queued) expire_job(redis_, id);
  return true;
}

void RedisBackend::remove(const std::string& id) {
  const std::optional<JobRecord> record = read_record(redis_, id);
  const std::size_t styles = record ? record->style_names.size() : 0;
  for (const std::string& key : all_job_keys(id, styles)) redis_.run({"DEL", key});
  redis_.run({"ZREM", kJobs, id});
}

std::optional<std::string> RedisBackend::get_bytes(const std::string& key) {
  RedisValue value = redis_.run({"GET", key});
  if (value.is_nil()) return std::nullopt;
  return std::move(value.text);
}

std::optional<std::string> RedisBackend::result(const std::string& id) {
  return get_bytes(job_key(id, "result"));
}
std::optional<std::string> RedisBackend::loss_log(const std::string& id) {
  return get_bytes(job_key(id, "losses"));
}
std::optional<std::string> RedisBackend::preview(const std::string& id) {
  return get_bytes(job_key(id, "preview"));
}

std::optional<EventBatch> RedisBackend::events(const std::string& id, const std::string& after,
                                               std::chrono::milliseconds wait) {
  const std::string key = job_key(id, "events");
  if (redis_.run({"EXISTS", key}).integer == 0) return std::nullopt;
  EventBatch batch;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  // Short blocking reads, so that stop() ends a stream within a second.
  const std::string from = after.empty() || after == "end" ? "0" : after;
  while (batch.events.empty() && !stopping_ && std::chrono::steady_clock::now() < deadline) {
    const RedisValue read = redis_.run(
        {"XREAD", "COUNT", "1000", "BLOCK", "1000", "STREAMS", key, from}, std::chrono::seconds(6));
    if (read.is_nil() || read.items.empty()) continue;
    for (const RedisValue& entry : read.items[0].items[1].items) {
      const std::vector<RedisValue>& f = entry.items[1].items;
      JobEvent event{.id = entry.items[0].text, .type = "", .data = ""};
      for (std::size_t i = 0; i + 1 < f.size(); i += 2) {
        if (f[i].text == "type") event.type = f[i + 1].text;
        if (f[i].text == "data") event.data = f[i + 1].text;
      }
      batch.events.push_back(std::move(event));
    }
  }
  // State events carry only the state: show the record as it is now, in that state.
  const std::optional<JobRecord> record = read_record(redis_, id);
  for (JobEvent& event : batch.events) {
    if (event.type != "state" || !record) continue;
    nlohmann::json shown = job_json(*record, queue_position(id));
    shown["state"] = nlohmann::json::parse(event.data)["state"];
    event.data = json_text(shown);
  }
  if (!record) {  // deleted, expired, or Redis lost its data: the stream's last word says so
    batch.events.push_back(
        {.id = "end", .type = "state", .data = json_text({{"id", id}, {"state", "deleted"}})});
  }
  batch.closed = stopping_ || !record || is_finished(record->state);
  if (batch.closed && record && is_finished(record->state)) {
    // Finished: closed once the final state event has been passed on.
    bool final_seen = false;
    for (const JobEvent& event : batch.events)
      final_seen |= event.type == "state" && nlohmann::json::parse(event.data)["state"] ==
                                                 std::string(state_name(record->state));
    batch.closed = final_seen || batch.events.empty();
  }
  return batch;
}

void RedisBackend::check_health() { redis_.run({"PING"}); }

BackendCounts RedisBackend::counts() {
  BackendCounts c;
  for (JobState state : {JobState::queued, JobState::running, JobState::done, JobState::failed,
                         JobState::cancelled}) {
    c.jobs[state] = 0;
  }
  for (const JobRecord& record : list()) ++c.jobs[record.state];
  const RedisValue workers = redis_.run({"HGETALL", kWorkers});
  const double now = now_seconds();
  for (std::size_t i = 0; i + 1 < workers.items.size(); i += 2) {
    const nlohmann::json w = nlohmann::json::parse(workers.items[i + 1].text);
    if (now - w.value("seen", 0.0) > 10) continue;  // gone
    ++c.workers;
    if (!w.value("job", std::string()).empty()) {
      ++c.busy;
      c.iterations_per_second += w.value("rate", 0.0);
    }
  }
  return c;
}

}  // namespace nst::serve
