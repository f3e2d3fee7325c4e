#include "serve/job_events.h"

#include <algorithm>
#include <cstdint>
#include <random>

namespace nst::serve {
namespace {

std::string base36(uint64_t n) {
  std::string text;
  do {
    text.insert(text.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[n % 36]);
    n /= 36;
  } while (n > 0);
  return text;
}

// The start time, and a random part for two starts in the same millisecond.
std::string name_of_this_run() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return base36(static_cast<uint64_t>(ms)) + base36(std::random_device{}() % (36 * 36 * 36));
}

}  // namespace

JobEvents::JobEvents() : run_(name_of_this_run()) {}

int JobEvents::seen(const std::string& last_event_id) const {
  const std::string prefix = run_ + "-";
  if (!last_event_id.starts_with(prefix)) return 0;
  const std::string number = last_event_id.substr(prefix.size());
  if (number.empty() || number.size() > 9 ||
      !std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return 0;
  return std::stoi(number);
}

std::shared_ptr<JobEvents::Channel> JobEvents::find(const std::string& job) const {
  const auto it = channels_.find(job);
  return it == channels_.end() ? nullptr : it->second;
}

void JobEvents::open(const std::string& job) {
  const std::lock_guard lock(mutex_);
  // Channels closed a while ago go: their readers have had the end.
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(channels_, [&](const auto& entry) {
    return entry.second->closed && now - entry.second->closed_at > kKeepClosed;
  });
  if (!channels_.count(job)) channels_[job] = std::make_shared<Channel>();
}

void JobEvents::publish(const std::string& job, const std::string& type, const std::string& data) {
  {
    const std::lock_guard lock(mutex_);
    const auto channel = find(job);
    if (!channel || channel->closed) return;
    channel->events.push_back({event_id(channel->events.size() + 1), type, data});
  }
  changed_.notify_all();
}

void JobEvents::close(const std::string& job, const std::string& type, const std::string& data) {
  {
    const std::lock_guard lock(mutex_);
    const auto channel = find(job);
    if (!channel) return;
    if (!channel->closed)
      channel->events.push_back({event_id(channel->events.size() + 1), type, data});
    channel->closed = true;
    channel->rate = 0;
    channel->closed_at = std::chrono::steady_clock::now();
  }
  changed_.notify_all();
}

void JobEvents::set_preview(const std::string& job, std::string png) {
  const std::lock_guard lock(mutex_);
  if (const auto channel = find(job)) channel->preview = std::move(png);
}

std::optional<std::string> JobEvents::preview(const std::string& job) const {
  const std::lock_guard lock(mutex_);
  const auto channel = find(job);
  if (!channel || channel->preview.empty()) return std::nullopt;
  return channel->preview;
}

void JobEvents::set_rate(const std::string& job, double iterations_per_second) {
  const std::lock_guard lock(mutex_);
  if (const auto channel = find(job)) channel->rate = iterations_per_second;
}

double JobEvents::total_rate() const {
  const std::lock_guard lock(mutex_);
  double total = 0;
  for (const auto& [job, channel] : channels_) total += channel->rate;
  return total;
}

std::optional<EventBatch> JobEvents::next(const std::string& job, int after,
                                          std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  const auto channel = find(job);
  if (!channel) return std::nullopt;
  changed_.wait_for(lock, wait, [&] {
    return shutting_down_ || channel->closed || static_cast<int>(channel->events.size()) > after;
  });
  EventBatch batch;
  for (std::size_t i = static_cast<std::size_t>(std::max(after, 0)); i < channel->events.size();
       ++i)
    batch.events.push_back(channel->events[i]);
  batch.closed = channel->closed || shutting_down_;
  return batch;
}

void JobEvents::shutdown() {
  {
    const std::lock_guard lock(mutex_);
    shutting_down_ = true;
  }
  changed_.notify_all();
}

}  // namespace nst::serve
