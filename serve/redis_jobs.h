// The service's jobs in Redis, as API nodes (serve/redis_backend.h) and workers
// (serve/redis_worker.h) share them. Everything lives under the prefix "nst:":
//   nst:job:ID                 hash: the record's fields (serve/job_record.h), plus `owner`
//                              (the claim's fencing token), `claims`, `attempts`, `ttl`
//                              (seconds to keep it once finished), `seq`
//   nst:job:ID:content, :style:I, :style-mask:I, :style-source-mask:I
//                              the uploads;  :preview, :resume, :result, :losses
//   nst:job:ID:events          stream of the job's events (type, data); a state event's data
//                              is the record's fields, written with the state change
//   nst:jobs                   sorted set of every job id by submission (newest last)
//   nst:queued                 sorted set of the queued ids (the queue positions)
//   nst:queue                  stream of jobs to run, read by the consumer group "workers"
//   nst:workers                hash: worker name -> {"seen", "job", "rate"} (heartbeats)
// Every write a worker makes about a job is fenced by its claim's token: a worker that was
// presumed dead and replaced can no longer change the job, so a job finishes once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "serve/job_store.h"
#include "serve/redis_client.h"

namespace nst::serve::redis {

inline const std::string kJobs = "nst:jobs";
inline const std::string kQueued = "nst:queued";
inline const std::string kQueue = "nst:queue";
inline const std::string kGroup = "workers";
inline const std::string kWorkers = "nst:workers";

inline std::string job_key(const std::string& id) { return "nst:job:" + id; }
inline std::string job_key(const std::string& id, const std::string& part) {
  return "nst:job:" + id + ":" + part;
}
// The key of the upload called `name` (serve/job_uploads.h): "style-mask-2" is kept under
// nst:job:ID:style-mask:2.
std::string upload_key(const std::string& id, const std::string& name);
// Every key of a job whose uploads are called `upload_names`.
std::vector<std::string> all_job_keys(const std::string& id,
                                      const std::vector<std::string>& upload_names);

// The record in the job's hash (HGETALL); nothing if the hash is gone (expired, deleted).
std::optional<JobRecord> read_record(Redis& redis, const std::string& id);
// The hash of a new record, as HSET arguments: its fields (serve/job_record.h) and the hash's
// own bookkeeping.
std::vector<std::string> hash_fields(const JobRecord& record, long long ttl_seconds, long long seq);

// A state event is written by the script that changes the state, in the same step: `script`
// after a Lua function state_event(hash, stream[, queue_position]) that appends to `stream` a
// state event carrying the record's fields as the hash holds them then (and the job's place
// in the queue, for a queued job), as a JSON object.
std::string with_state_event(const std::string& script);

// What such an event carries. `id` fills in what an event from before events carried the
// record lacks. nst::Error when it is damaged.
struct StateEvent {
  JobRecord record;
  std::optional<int> queue_position;  // when it was written: 1 is next
};
StateEvent read_state_event(const std::string& data, const std::string& id);

// Lets a finished job's keys expire after its `ttl`.
void expire_job(Redis& redis, const std::string& id);

}  // namespace nst::serve::redis
