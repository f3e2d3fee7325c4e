#include "serve/redis_worker.h"

#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "serve/job_files.h"
#include "serve/job_json.h"
#include "serve/log_line.h"
#include "serve/redis_jobs.h"
#include "serve/request_text.h"
#include "serve/work_folder.h"

namespace nst::serve {
namespace {

using namespace redis;

// The job becomes this worker's: a new claim token, state running, one more attempt. KEYS: job
// hash, nst:queued, events. ARGV: worker, now, id, max attempts, the message for a job whose
// attempts are used up. Returns the token; false if the job is
// not to be run (finished, cancelled, gone); "" if it failed now, its last runs having all
// ended without saving progress (a checkpoint sets `attempts` back to 0: kResume).
constexpr const char* kClaim = R"lua(
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'queued' and state ~= 'running' then return false end
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0')
if attempts >= tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[1], 'state', 'failed', 'error', ARGV[5], 'finished', ARGV[2], 'owner', '')
  redis.call('ZREM', KEYS[2], ARGV[3])
  state_event(KEYS[1], KEYS[3])
  return ''
end
redis.call('HSET', KEYS[1], 'attempts', attempts + 1)
local token = ARGV[1] .. '#' .. redis.call('HINCRBY', KEYS[1], 'claims', 1)
redis.call('HSET', KEYS[1], 'state', 'running', 'owner', token, 'worker', ARGV[1])
if tonumber(redis.call('HGET', KEYS[1], 'started') or '0') == 0 then
  redis.call('HSET', KEYS[1], 'started', ARGV[2])
end
redis.call('ZREM', KEYS[2], ARGV[3])
state_event(KEYS[1], KEYS[3])
return token
)lua";

// Each fenced write first checks that the job is still this claim's. ARGV[1]: the token.
constexpr const char* kFence = R"lua(
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
)lua";

// KEYS: job hash, preview. ARGV: token, iteration, losses, preview PNG, iterations.
constexpr const char* kProgress = R"lua(
redis.call('HSET', KEYS[1], 'iteration', ARGV[2], 'losses', ARGV[3], 'iterations', ARGV[5])
redis.call('SET', KEYS[2], ARGV[4])
return 1
)lua";

// KEYS: job hash, events. ARGV: token, the event's type, its data.
constexpr const char* kEvent = R"lua(
redis.call('XADD', KEYS[2], '*', 'type', ARGV[2], 'data', ARGV[3])
return 1
)lua";

// KEYS: job hash, resume. ARGV: token, the resume file. Progress is saved: the attempts
// start again.
constexpr const char* kResume = R"lua(
redis.call('SET', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'attempts', 0)
return 1
)lua";

// The end of a run. KEYS: job hash, result, losses, resume, events. ARGV: token, state, now,
// error, result PNG, loss log, worker, ending, speed. Returns 1, or 2 when the job was cancelled
// meanwhile.
constexpr const char* kFinish = R"lua(
redis.call('DEL', KEYS[4])
redis.call('HSET', KEYS[1], 'owner', '')
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 2 end
if ARGV[2] == 'done' then
  redis.call('SET', KEYS[2], ARGV[5])
  redis.call('SET', KEYS[3], ARGV[6])
end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'finished', ARGV[3], 'error', ARGV[4],
           'worker', ARGV[7], 'ending', ARGV[8], 'speed', ARGV[9])
state_event(KEYS[1], KEYS[5])
return 1
)lua";

// A worker that stops puts its job back at the head of the queue (its resume file stays).
// KEYS: job hash, nst:queued, nst:queue, events. ARGV: token, id.
constexpr const char* kRequeue = R"lua(
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'queued', 'owner', '')
redis.call('ZADD', KEYS[2], redis.call('HGET', KEYS[1], 'seq'), ARGV[2])
redis.call('XADD', KEYS[3], '*', 'job', ARGV[2])
state_event(KEYS[1], KEYS[4], redis.call('ZRANK', KEYS[2], ARGV[2]) + 1)
return 1
)lua";

// The heartbeat: renews the claim on the queue entry (XCLAIM resets its idle time) while the
// job is this worker's. KEYS: job hash, nst:queue. ARGV: token, group, consumer, entry.
// Returns 1, 0 if the job was cancelled, -1 if it is no longer this worker's.
constexpr const char* kRenew = R"lua(
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return -1 end
redis.call('XCLAIM', KEYS[2], ARGV[2], ARGV[3], 0, ARGV[4], 'JUSTID')
if redis.call('HGET', KEYS[1], 'state') == 'cancelled' then return 0 end
return 1
)lua";

void log(const std::string& line) { log_line("nst worker", line); }

std::string fenced(const char* script) { return std::string(kFence) + script; }

}  // namespace

// A job of the Redis mode as the runner sees it.
class RedisWorker::Host : public JobHost {
 public:
  Host(RedisWorker& w, const JobRecord& record, std::string token, std::string resume_path)
      : w_(w), id_(record.id), token_(std::move(token)), resume_path_(std::move(resume_path)) {}

  std::atomic<bool> cancelled{false}, lost{false};
  std::atomic<double> rate{0};
  bool acknowledge = false;  // the queue entry is finished with

  std::string upload(const std::string& name) override {
    const std::string key = upload_key(id_, name);
    RedisValue value = w_.redis_.run({"GET", key});
    NST_CHECK(!value.is_nil(), "job ", id_, ": its upload ", key, " is gone from Redis");
    return std::move(value.text);
  }
  std::string resume_path() override { return resume_path_; }

  void resume_saved() override {
    write({job_key(id_), job_key(id_, "resume")}, kResume, {read_file_bytes(resume_path_)});
  }
  void on_event(const nlohmann::json& iteration) override {
    write({job_key(id_), job_key(id_, "events")}, kEvent, {"iteration", json_text(iteration)});
  }
  void on_converged(const nlohmann::json& convergence) override {
    write({job_key(id_), job_key(id_, "events")}, kEvent, {"converged", json_text(convergence)});
  }
  void on_progress(const IterationLosses& losses, int iterations, const std::string& preview_png,
                   double speed) override {
    rate = speed;
    write({job_key(id_), job_key(id_, "preview")}, kProgress,
          {std::to_string(losses.iteration), json_text(losses_json(losses)), preview_png,
           std::to_string(iterations)});
  }
  bool stop_requested() override { return w_.stopping_ || cancelled || lost; }

  void done(const std::string& result_png, const std::string& loss_log_csv,
            const std::string& ending, double speed) override {
    finish(JobState::done, "", result_png, loss_log_csv, ending, speed);
  }
  void failed(const std::string& message) override {
    finish(JobState::failed, message, "", "", "");
  }
  void stopped(int iterations) override {
    if (lost) {
      log("job " + id_ + " is no longer this worker's (taken over); dropping it");
    } else if (cancelled) {
      finish(JobState::cancelled, "", "", "", "");
      log("job " + id_ + " cancelled at iteration " + std::to_string(iterations));
    } else {  // this worker stops: the job goes back to the queue, its resume file in Redis
      try {
        w_.redis_.eval(with_state_event(fenced(kRequeue)),
                       {job_key(id_), kQueued, kQueue, job_key(id_, "events")}, {token_, id_});
        acknowledge = true;
        log("job " + id_ + " saved at iteration " + std::to_string(iterations) +
            " and put back in the queue");
      } catch (const Error& e) {  // it stays pending: another worker claims it later
        log("job " + id_ + " saved at iteration " + std::to_string(iterations) + "; " + e.what());
      }
    }
  }
  void log(const std::string& line) override { serve::log(line); }

 private:
  // A fenced write; while Redis is unreachable the run goes on and the write is skipped (the
  // next progress or checkpoint brings the job up to date).
  void write(const std::vector<std::string>& keys, const char* script,
             std::vector<std::string> args) {
    args.insert(args.begin(), token_);
    try {
      if (w_.redis_.eval(fenced(script), keys, args).integer == 0) lost = true;
      if (unreachable_) log("Redis is back; job " + id_ + " goes on");
      unreachable_ = false;
    } catch (const BackendUnavailable& e) {
      if (!unreachable_) log(std::string(e.what()) + "; job " + id_ + " goes on meanwhile");
      unreachable_ = true;
    }
  }

  // Records how the job ended, retrying with backoff while Redis is unreachable, so that a
  // finished picture is not lost; a worker that stops meanwhile gives up (the job's last
  // resume file is in Redis for another worker).
  void finish(JobState state, const std::string& error, const std::string& png,
              const std::string& csv, const std::string& ending, double speed = 0) {
    for (int wait = 1;; wait = std::min(2 * wait, 30)) {
      try {
        const long long outcome =
            w_.redis_
                .eval(with_state_event(fenced(kFinish)),
                      {job_key(id_), job_key(id_, "result"), job_key(id_, "losses"),
                       job_key(id_, "resume"), job_key(id_, "events")},
                      {token_, std::string(state_name(state)), std::to_string(now_seconds()), error,
                       png, csv, w_.options_.name, ending,
                       speed > 0 ? exact_text(speed) : std::string()})
                .integer;
        if (outcome == 0) {
          log("job " + id_ + " was taken over by another worker; its result here is dropped");
        } else {
          expire_job(w_.redis_, id_);
          acknowledge = true;
        }
        return;
      } catch (const BackendUnavailable& e) {
        if (w_.stopping_) return;
        log(std::string(e.what()) + "; keeping job " + id_ + "'s outcome, retrying in " +
            std::to_string(wait) + " s");
        std::this_thread::sleep_for(std::chrono::seconds(wait));
      }
    }
  }

  RedisWorker& w_;
  std::string id_, token_, resume_path_;
  bool unreachable_ = false;
};

RedisWorker::RedisWorker(const RedisAddress& address, RedisWorkerOptions options,
                         ModelSource models)
    : redis_(address), options_(std::move(options)), models_(std::move(models)) {}

void RedisWorker::stop() { stopping_ = true; }

void RedisWorker::run() {
  log(options_.name + " takes jobs from " + redis_.address().url);
  bool ready = false;
  for (int wait = 1; !stopping_;) {
    try {
      if (!ready) {
        try {
          redis_.run({"XGROUP", "CREATE", kQueue, kGroup, "0", "MKSTREAM"});
        } catch (const BackendUnavailable&) {
          throw;
        } catch (const Error&) {  // BUSYGROUP: it exists
        }
        if (wait > 1) log("Redis at " + redis_.address().url + " is back");
        ready = true;
        wait = 1;
      }
      redis_.run({"HSET", kWorkers, options_.name,
                  nlohmann::json{{"seen", now_seconds()}, {"job", ""}, {"rate", 0}}.dump()});
      if (const std::optional<Entry> entry = next_entry()) handle(*entry);
    } catch (const std::exception& e) {  // Redis away or answering with an error; a bad record
      ready = false;
      log(std::string(e.what()) + "; retrying in " + std::to_string(wait) + " s");
      for (int i = 0; i < 10 * wait && !stopping_; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      wait = std::min(2 * wait, 30);
    }
  }
  try {
    redis_.run({"HDEL", kWorkers, options_.name});
  } catch (const Error&) {
  }
  log(options_.name + " stopped");
}

std::optional<RedisWorker::Entry> RedisWorker::next_entry() {
  const auto entry_of = [](const RedisValue& e) {
    Entry entry{.stream_id = e.items[0].text, .job = ""};
    const std::vector<RedisValue>& f = e.items[1].items;
    for (std::size_t i = 0; i + 1 < f.size(); i += 2) {
      if (f[i].text == "job") entry.job = f[i + 1].text;
    }
    return entry;
  };
  // First a job whose worker has gone silent for claim_after seconds.
  const RedisValue claimed =
      redis_.run({"XAUTOCLAIM", kQueue, kGroup, options_.name,
                  std::to_string(options_.claim_after * 1000), "0-0", "COUNT", "1"});
  if (claimed.items.size() >= 2 && !claimed.items[1].items.empty() &&
      !claimed.items[1].items[0].is_nil()) {
    const Entry entry = entry_of(claimed.items[1].items[0]);
    log("taking over job " + entry.job + " from a worker silent for " +
        std::to_string(options_.claim_after) + " s");
    return entry;
  }
  const RedisValue read = redis_.run({"XREADGROUP", "GROUP", kGroup, options_.name, "COUNT", "1",
                                      "BLOCK", "1000", "STREAMS", kQueue, ">"},
                                     std::chrono::seconds(6));
  if (read.is_nil() || read.items.empty() || read.items[0].items[1].items.empty())
    return std::nullopt;
  return entry_of(read.items[0].items[1].items[0]);
}

void RedisWorker::handle(const Entry& entry) {
  const auto acknowledge = [&] {
    redis_.run({"XACK", kQueue, kGroup, entry.stream_id});
    redis_.run({"XDEL", kQueue, entry.stream_id});
  };
  const std::optional<JobRecord> record = read_record(redis_, entry.job);
  const std::string exhausted = JobStore::exhausted_message(options_.max_attempts);
  const RedisValue token =
      record ? redis_.eval(with_state_event(kClaim),
                           {job_key(entry.job), kQueued, job_key(entry.job, "events")},
                           {options_.name, std::to_string(now_seconds()), entry.job,
                            std::to_string(options_.max_attempts), exhausted})
             : RedisValue{};
  if (token.is_nil()) return acknowledge();  // finished, cancelled or deleted: nothing to run
  if (token.text.empty()) {
    log("job " + entry.job + " failed: " + exhausted);
    expire_job(redis_, entry.job);
    return acknowledge();
  }

  // The resume file, if an earlier run saved one, as a local file for the runner.
  const WorkFolder folder;
  const std::string resume_path = folder.path() + "/run.nstresume";
  RedisValue saved = redis_.run({"GET", job_key(entry.job, "resume")});
  if (!saved.is_nil()) write_bytes_atomically(resume_path, saved.text);

  Host host(*this, *record, token.text, resume_path);
  std::mutex mutex;
  std::condition_variable ended;
  bool running = true;
  std::thread beat([&] {
    std::unique_lock lock(mutex);
    while (!ended.wait_for(lock, std::chrono::seconds(1), [&] { return !running; })) {
      try {
        const long long renewed = redis_
                                      .eval(kRenew, {job_key(entry.job), kQueue},
                                            {token.text, kGroup, options_.name, entry.stream_id})
                                      .integer;
        if (renewed == 0) host.cancelled = true;
        if (renewed < 0) host.lost = true;
        redis_.run(
            {"HSET", kWorkers, options_.name,
             nlohmann::json{{"seen", now_seconds()}, {"job", entry.job}, {"rate", host.rate.load()}}
                 .dump()});
      } catch (...) {  // Redis away: the job goes on; the host says so
      }
    }
  });
  run_service_job(*record, host, models_, options_.runner);
  {
    const std::lock_guard lock(mutex);
    running = false;
  }
  ended.notify_all();
  beat.join();
  ::malloc_trim(0);  // the run's memory goes back to the system, not kept for the next job
  if (host.acknowledge) acknowledge();
}

}  // namespace nst::serve
