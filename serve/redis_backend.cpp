#include "serve/redis_backend.h"

#include <nlohmann/json.hpp>

#include "serve/job_json.h"
#include "serve/redis_jobs.h"

namespace nst::serve {
namespace {

using namespace redis;

// Checks the queue's length and records the job in one step, so that two API nodes cannot both
// take the last place. The uploads were stored before with an expiry, which this removes.
// KEYS: job hash, nst:jobs, nst:queued, nst:queue, events, uploads...
// ARGV: max queued, id, seq, hash fields...
constexpr const char* kSubmit = R"lua(
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
for i = 6, #KEYS do redis.call('PERSIST', KEYS[i]) end
state_event(KEYS[1], KEYS[5], redis.call('ZRANK', KEYS[3], ARGV[2]) + 1)
redis.call('XADD', KEYS[4], '*', 'job', ARGV[2])
return 1
)lua";

// A queued or running job becomes cancelled. KEYS: job hash, nst:queued, events.
// ARGV: id, now. Returns the state it had, or false.
constexpr const char* kCancel = R"lua(
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'queued' and state ~= 'running' then return false end
redis.call('HSET', KEYS[1], 'state', 'cancelled', 'finished', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
state_event(KEYS[1], KEYS[3])
return state
)lua";

// A Redis stream entry ID as events carry them, "1764790000123-0": what a client's
// Last-Event-ID must be to be passed on to Redis.
bool is_stream_id(const std::string& text) {
  const std::size_t dash = text.find('-');
  const auto digits = [](std::string_view part) {
    return !part.empty() && part.size() <= 19 &&
           part.find_first_not_of("0123456789") == std::string_view::npos;
  };
  return dash != std::string::npos && digits(std::string_view(text).substr(0, dash)) &&
         digits(std::string_view(text).substr(dash + 1));
}

constexpr auto kUploadGrace = 3600;  // seconds uploads live if their job never gets recorded

}  // namespace

RedisBackend::RedisBackend(const RedisAddress& address, long long ttl_seconds)
    : redis_(address), ttl_seconds_(ttl_seconds) {}

bool RedisBackend::submit(const JobRecord& record, const JobUploads& uploads, int max_queued) {
  const std::string& id = record.id;
  std::vector<std::string> keys{job_key(id), kJobs, kQueued, kQueue, job_key(id, "events")};
  for (const auto& [name, upload] : named_uploads(uploads)) {
    keys.push_back(upload_key(id, name));
    redis_.run({"SET", keys.back(), upload->bytes, "EX", std::to_string(kUploadGrace)});
  }
  const long long seq = redis_.run({"INCR", "nst:seq"}).integer;
  std::vector<std::string> args{std::to_string(max_queued), id, std::to_string(seq)};
  for (std::string& field : hash_fields(record, ttl_seconds_, seq)) args.push_back(field);
  if (redis_.eval(with_state_event(kSubmit), keys, args).integer == 1) return true;
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
      redis_.eval(with_state_event(kCancel), {job_key(id), kQueued, job_key(id, "events")},
                  {id, std::to_string(now_seconds())});
  if (was.is_nil()) return false;
  // A running job's worker sees it within a second, stops and cleans up; a queued one is done.
  if (parse_job_state(was.text) == JobState::queued) expire_job(redis_, id);
  return true;
}

void RedisBackend::remove(const std::string& id) {
  const std::optional<JobRecord> record = read_record(redis_, id);
  const std::vector<std::string> uploads =
      record ? upload_names(*record) : std::vector<std::string>{"content"};
  for (const std::string& key : all_job_keys(id, uploads)) redis_.run({"DEL", key});
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
std::optional<std::string> RedisBackend::upload(const std::string& id, const std::string& name) {
  const std::optional<JobRecord> record = read_record(redis_, id);
  if (!record || !has_upload(*record, name)) return std::nullopt;
  return get_bytes(upload_key(id, name));
}

std::vector<JobEvent> RedisBackend::read_events(const std::string& id, const std::string& from,
                                                bool block, bool& ended) {
  std::vector<std::string> command{"XREAD", "COUNT", "1000"};
  if (block) command.insert(command.end(), {"BLOCK", "1000"});
  command.insert(command.end(), {"STREAMS", job_key(id, "events"), from});
  const RedisValue read = redis_.run(command, std::chrono::seconds(6));
  std::vector<JobEvent> events;
  if (read.is_nil() || read.items.empty()) return events;
  for (const RedisValue& entry : read.items[0].items[1].items) {
    const std::vector<RedisValue>& f = entry.items[1].items;
    JobEvent event{.id = entry.items[0].text, .type = "", .data = ""};
    for (std::size_t i = 0; i + 1 < f.size(); i += 2) {
      if (f[i].text == "type") event.type = f[i + 1].text;
      if (f[i].text == "data") event.data = f[i + 1].text;
    }
    if (event.type == "state") {  // the record's fields, shown as the API shows a job
      const StateEvent state = read_state_event(event.data, id);
      const bool queued = state.record.state == JobState::queued;
      event.data = state_event_data(state.record,
                                    queued ? state.queue_position.value_or(queue_position(id)) : 0);
      ended = ended || is_finished(state.record.state);
    }
    events.push_back(std::move(event));
  }
  return events;
}

std::optional<EventBatch> RedisBackend::events(const std::string& id, const std::string& after,
                                               std::chrono::milliseconds wait) {
  if (redis_.run({"EXISTS", job_key(id, "events")}).integer == 0) return std::nullopt;
  const std::string from = is_stream_id(after) ? after : "0";  // "end", or not one of ours
  EventBatch batch;
  bool ended = false;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (!stopping_) {
    const RedisValue state = redis_.run({"HGET", job_key(id), "state"});
    if (state.is_nil()) {  // deleted, expired, or Redis lost its data: the last word says so
      batch.events.push_back({.id = "end", .type = "state", .data = deleted_event_data(id)});
      batch.closed = true;
      return batch;
    }
    // A finished job's last event was written with its state: it is read now (if it came after
    // `after`) and nothing follows. Otherwise short blocking reads, so that stop() ends a
    // stream within a second.
    const std::optional<JobState> now = parse_job_state(state.text);
    const bool finished = now && is_finished(*now);
    batch.events = read_events(id, from, !finished, ended);
    ended = ended || finished;
    if (finished || !batch.events.empty() || std::chrono::steady_clock::now() >= deadline) break;
  }
  batch.closed = ended || stopping_;
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
