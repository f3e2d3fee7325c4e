// Live news of the embedded mode's jobs that have not finished, for /api/jobs/ID/events and
// /preview (the Redis mode keeps them in Redis: serve/redis_jobs.h).
//
// Each such job has a channel that keeps every event it published (its state changes and one
// row of losses per iteration), numbered from 1, so a client that connects late, or reconnects
// with Last-Event-ID, first gets what it missed, then waits for what comes. The ids name this
// server's run too ("RUN-N"): a client that reconnects after a restart, whose job's events are
// numbered from 1 again, gets them all instead of only those past its old number. When the job
// finishes, its channel is closed: readers get the last events and the end. A minute later the
// channel is dropped: the loss log on disk tells a finished job's story from then on. The latest
// preview picture is kept beside the events.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace nst::serve {

struct JobEvent {
  std::string id;    // the SSE id: "RUN-1", "RUN-2", ... per job here; Redis stream ids there
  std::string type;  // "state" or "iteration"
  std::string data;  // JSON
};

struct EventBatch {
  std::vector<JobEvent> events;
  bool closed = false;  // no event will follow these
};

class JobEvents {
 public:
  JobEvents();
  void open(const std::string& job);  // keeps an existing channel
  void publish(const std::string& job, const std::string& type, const std::string& data);
  // Publishes the last event and closes the channel.
  void close(const std::string& job, const std::string& type, const std::string& data);

  void set_preview(const std::string& job, std::string png);
  std::optional<std::string> preview(const std::string& job) const;
  void set_rate(const std::string& job, double iterations_per_second);
  double total_rate() const;  // over all open channels

  // How many of a job's events a client whose last event had this id has seen: 0 for an empty
  // id, another run's, or one that is not ours.
  int seen(const std::string& last_event_id) const;
  // The job's events after the `after`-th, waiting up to `wait` for one; nothing when the job
  // has no channel (unknown, or finished over a minute ago).
  std::optional<EventBatch> next(const std::string& job, int after, std::chrono::milliseconds wait);
  // Wakes every reader; from now on every batch is closed.
  void shutdown();

 private:
  struct Channel {
    std::vector<JobEvent> events;
    std::string preview;
    double rate = 0;
    bool closed = false;
    std::chrono::steady_clock::time_point closed_at;
  };
  static constexpr std::chrono::seconds kKeepClosed{60};
  std::shared_ptr<Channel> find(const std::string& job) const;
  std::string event_id(std::size_t number) const { return run_ + "-" + std::to_string(number); }

  const std::string run_;  // names this server's run: its start time and a random part

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::shared_ptr<Channel>> channels_;
  bool shutting_down_ = false;
};

}  // namespace nst::serve
