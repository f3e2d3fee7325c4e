// Runs `nst serve` as a real process on a free loopback port for a test, with an HTTP client
// to talk to it, and makes the small pictures the tests upload.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "nst/image.h"
#include "tests/cli_runner.h"

namespace nst::testing {

class ServeProcess {
 public:
  // Starts `nst serve --port 0 --data DATA --weights random` plus `args` (the embedded mode);
  // waits until it listens. ADD_FAILURE and port() == 0 if it does not.
  ServeProcess(const std::string& data, const std::string& args, const std::string& log) {
    start("--data " + data + " --weights random " + args, log);
  }
  // Starts `nst serve --port 0` plus `args` as they are.
  explicit ServeProcess(const std::string& args, const std::string& log) { start(args, log); }
  ~ServeProcess() { stop(SIGTERM); }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(120, 0);
    return c;
  }
  // Sends `signal` and waits for the process; returns its exit status (128 + signal if killed).
  int stop(int signal) { return stop_process(pid_, signal); }

 private:
  void start(const std::string& args, const std::string& log) {
    pid_ = start_nst("serve --port 0 " + args, log);
    const std::string marker = "listening on http://127.0.0.1:";
    // The whole line, port included: the log may be read while it is being written.
    const bool listening = wait_for([&] {
      const std::string text = read_bytes(log);
      const size_t at = text.find(marker);
      return at != std::string::npos && text.find('\n', at) != std::string::npos;
    });
    if (!listening) {
      ADD_FAILURE() << "nst serve did not start:\n" << read_bytes(log);
      return;
    }
    const std::string text = read_bytes(log);
    port_ = std::stoi(text.substr(text.find(marker) + marker.size()));
  }

  pid_t pid_ = -1;
  int port_ = 0;
};

// A job's multipart form: the photo, one painting, the options.
inline httplib::MultipartFormDataItems job_form(const std::string& content,
                                                const std::string& style,
                                                const nlohmann::json& options) {
  return {{"content", content, "photo.png", "image/png"},
          {"style", style, "painting.png", "image/png"},
          {"options", options.dump(), "", "application/json"}};
}

inline nlohmann::json json_body(const httplib::Result& r) { return nlohmann::json::parse(r->body); }

// Submits a job; expects 201 and returns its record. The tests count iterations and keep long
// jobs running to cancel or kill them: a job runs every iteration (tolerance 0) unless its
// options say otherwise.
inline nlohmann::json submit_job(httplib::Client& c, const std::string& content,
                                 const std::string& style, nlohmann::json options) {
  if (!options.contains("tolerance")) options["tolerance"] = 0;
  const auto r = c.Post("/api/jobs", job_form(content, style, options));
  EXPECT_TRUE(r) << "no answer";
  if (!r) return {};
  EXPECT_EQ(r->status, 201) << r->body;
  return r->status == 201 ? json_body(r) : nlohmann::json{{"id", ""}};
}

// Polls the job until it reaches `state` or a finished state; returns its record.
inline nlohmann::json wait_for_state(httplib::Client& c, const std::string& id,
                                     const std::string& state, double seconds = 120) {
  nlohmann::json record;
  wait_for(
      [&] {
        const auto r = c.Get("/api/jobs/" + id);
        if (!r || r->status != 200) return false;
        record = json_body(r);
        const std::string now = record["state"];
        return now == state || now == "done" || now == "failed" || now == "cancelled";
      },
      seconds);
  return record;
}

// One event of a job's stream (/api/jobs/ID/events).
struct SseEvent {
  std::string id, type;
  nlohmann::json data;
};

// The job's events from after `last_event_id` ("" for all) to the stream's end.
inline std::vector<SseEvent> follow_events(httplib::Client& c, const std::string& id,
                                           const std::string& last_event_id = "") {
  std::string text;
  httplib::Headers headers;
  if (!last_event_id.empty()) headers.emplace("Last-Event-ID", last_event_id);
  const auto r = c.Get("/api/jobs/" + id + "/events", headers, [&](const char* data, size_t size) {
    text.append(data, size);
    return true;
  });
  EXPECT_TRUE(r) << "no answer";
  std::vector<SseEvent> events;
  for (std::size_t at = 0, end; (end = text.find("\n\n", at)) != std::string::npos; at = end + 2) {
    SseEvent event;
    std::istringstream block(text.substr(at, end - at));
    for (std::string line; std::getline(block, line);) {
      if (line.rfind("id: ", 0) == 0) event.id = line.substr(4);
      if (line.rfind("event: ", 0) == 0) event.type = line.substr(7);
      if (line.rfind("data: ", 0) == 0) event.data = nlohmann::json::parse(line.substr(6));
    }
    if (!event.type.empty()) events.push_back(std::move(event));  // not a keep-alive
  }
  return events;
}

// What every job's stream shows in both modes, for a job of `iterations` that ran to the end:
// each state event carries the whole record as it was at that change, and the stream ends
// with the one that says done; followed again from there, it ends at once.
inline void expect_state_events_carry_the_record(httplib::Client& c, const std::string& id,
                                                 int iterations) {
  const std::vector<SseEvent> events = follow_events(c, id);
  std::vector<nlohmann::json> states;
  for (const SseEvent& event : events) {
    if (event.type == "state") states.push_back(event.data);
  }
  ASSERT_GE(states.size(), 2u);
  for (const nlohmann::json& state : states) {
    EXPECT_EQ(state["id"], id) << state;
    EXPECT_EQ(state["iterations"], iterations) << state;
    EXPECT_EQ(state["content"], "photo.png") << state;
    EXPECT_EQ(state["styles"], nlohmann::json::array({"painting.png"})) << state;
    EXPECT_TRUE(state["created"].is_string()) << state;
    EXPECT_TRUE(state["options"].is_object()) << state;
    if (state["state"] == "queued") {
      EXPECT_GE(state["queue_position"], 1) << state;
    }
    if (state["state"] == "running") {
      EXPECT_TRUE(state["started"].is_string()) << state;
    }
  }
  const nlohmann::json& last = states.back();
  EXPECT_EQ(events.back().type, "state");
  EXPECT_EQ(last["state"], "done") << last;
  EXPECT_EQ(last["iteration"], iterations) << last;
  EXPECT_TRUE(last["finished"].is_string()) << last;
  EXPECT_TRUE(last["losses"]["total"].is_number()) << last;
  EXPECT_TRUE(follow_events(c, id, events.back().id).empty());
}

// A w x h picture with smooth colours and stripes (something for the style to change), as the
// bytes of a PNG file.
// The number of entries in `folder` (0 if it does not exist): a store's job folders.
inline std::size_t count_entries(const std::string& folder) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(folder, ec);
       !ec && it != std::filesystem::directory_iterator(); ++it)
    ++n;
  return n;
}

inline std::string picture_png(int w, int h, int stripes) {
  Tensor image(Shape{1, 3, h, w});
  float* p = image.data();
  const auto fw = static_cast<float>(w), fh = static_cast<float>(h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const float s = 0.5f + 0.5f * std::sin(6.2832f * static_cast<float>(stripes * (x + y)) / fw);
      p[(0 * h + y) * w + x] = static_cast<float>(x) / fw;
      p[(1 * h + y) * w + x] = s;
      p[(2 * h + y) * w + x] = static_cast<float>(y) / fh;
    }
  }
  const std::vector<uint8_t> png = encode_image(image, ImageFormat::png);
  return std::string(png.begin(), png.end());
}

}  // namespace nst::testing
