// The handlers of /api/jobs: submitting, reading, cancelling and deleting jobs, and what a
// job makes (result, preview, loss log, events).
#include <httplib.h>

#include <chrono>
#include <mutex>
#include <random>

#include "nst/image.h"
#include "serve/http_util.h"
#include "serve/job_json.h"
#include "serve/server.h"
#include "tensor/error.h"

namespace nst::serve {
namespace {

std::string new_job_id() {
  static std::mutex mutex;
  static std::mt19937_64 random{std::random_device{}()};
  const std::lock_guard lock(mutex);
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(random()));
  return id;
}

// How long an event stream waits for news before it sends a comment to keep the connection
// (and proxies on the way) from timing out.
constexpr auto kKeepAlive = std::chrono::seconds(15);

std::string sse(const JobEvent& event) {
  return "id: " + event.id + "\nevent: " + event.type + "\ndata: " + event.data + "\n\n";
}

}  // namespace

std::optional<JobRecord> Server::find(const httplib::Request& request,
                                      httplib::Response& response) {
  const std::string id = request.matches[1];
  std::optional<JobRecord> record = backend_->get(id);
  if (!record) reply_error(response, 404, "no job " + id);
  return record;
}

void Server::submit(const httplib::Request& request, httplib::Response& response) {
  if (!request.is_multipart_form_data()) {
    return reply_error(response, 400,
                       "send a multipart form: a 'content' file, one or more 'style' files and "
                       "optionally 'options', a JSON object");
  }
  Upload content;
  std::vector<Upload> styles;
  nlohmann::json options = nlohmann::json::object();
  int contents = 0;
  for (const auto& [name, part] : request.files) {
    if (name == "content") {
      content = {part.filename, part.content};
      ++contents;
    } else if (name == "style") {
      styles.push_back({part.filename, part.content});
    } else if (name == "options") {
      try {
        options = nlohmann::json::parse(part.content);
      } catch (const nlohmann::json::exception& e) {
        return reply_error(response, 400, std::string("options: not JSON: ") + e.what());
      }
    } else {
      return reply_error(response, 400,
                         "unknown form field '" + name + "'; send content, style and options");
    }
  }
  if (contents != 1) {
    return reply_error(response, 400,
                       contents == 0 ? "no 'content' file: send the photo to paint"
                                     : "send one 'content' file, not " + std::to_string(contents));
  }
  if (styles.empty()) return reply_error(response, 400, "no 'style' file: send a painting");

  // Everything is checked before anything is stored: settings, then the pictures.
  JobRecord record;
  try {
    const JobOptions parsed = parse_job_options(options, styles.size(), options_.limits);
    const PreparedJob prepared =
        prepare(job_from_uploads(content, styles, parsed.settings), option_name);
    record.iterations = prepared.total_iterations();
  } catch (const Error& e) {  // SettingError too
    return reply_error(response, 400, e.what());
  } catch (const std::bad_alloc&) {
    return reply_error(response, 400, "the pictures are too large for this server's memory");
  }

  record.id = new_job_id();
  record.options = options;
  record.content_name = content.filename;
  for (const Upload& style : styles) record.style_names.push_back(style.filename);
  record.created = now_seconds();
  if (!backend_->submit(record, content, styles, options_.max_queued)) {
    return reply_error(response, 429,
                       "the queue is full (" + std::to_string(options_.max_queued) +
                           " jobs wait); try again later");
  }
  ++accepted_;
  response.set_header("Location", "/api/jobs/" + record.id);
  reply_json(response, 201, record_json(record));
}

void Server::job(const httplib::Request& request, httplib::Response& response) {
  if (const auto record = find(request, response)) reply_json(response, 200, record_json(*record));
}

void Server::result(const httplib::Request& request, httplib::Response& response) {
  const auto record = find(request, response);
  if (!record) return;
  if (record->state != JobState::done) {
    return reply_error(response, 409,
                       "job " + record->id + " is " + std::string(state_name(record->state)) +
                           "; its result is there once it is done");
  }
  const std::optional<std::string> stored = backend_->result(record->id);
  if (!stored) return reply_error(response, 404, "job " + record->id + " has no result");
  const std::string& png = *stored;
  const std::string format =
      request.has_param("format") ? request.get_param_value("format") : "png";
  if (format == "png") {
    response.set_header("Content-Disposition", "inline; filename=\"nst-" + record->id + ".png\"");
    return response.set_content(png, "image/png");
  }
  if (format != "jpeg" && format != "jpg")
    return reply_error(response, 400, "format must be png or jpeg, got '" + format + "'");
  const Tensor image = decode_image({reinterpret_cast<const uint8_t*>(png.data()), png.size()},
                                    "the result of job " + record->id);
  const int quality =
      parse_job_options(record->options, record->style_names.size(), options_.limits).jpeg_quality;
  const std::vector<uint8_t> jpeg = encode_image(image, ImageFormat::jpeg, quality);
  response.set_header("Content-Disposition", "inline; filename=\"nst-" + record->id + ".jpg\"");
  response.set_content(std::string(jpeg.begin(), jpeg.end()), "image/jpeg");
}

void Server::preview(const httplib::Request& request, httplib::Response& response) {
  const auto record = find(request, response);
  if (!record) return;
  response.set_header("Cache-Control", "no-store");
  const std::optional<std::string> png = record->state == JobState::done
                                             ? backend_->result(record->id)
                                             : backend_->preview(record->id);
  if (png) return response.set_content(*png, "image/png");
  reply_error(response, 404, "job " + record->id + " has no picture yet");
}

void Server::losses(const httplib::Request& request, httplib::Response& response) {
  const auto record = find(request, response);
  if (!record) return;
  if (record->state != JobState::done) {
    return reply_error(response, 409,
                       "the loss log is written when the job is done; meanwhile its "
                       "/events carry the losses of every iteration");
  }
  const std::optional<std::string> csv = backend_->loss_log(record->id);
  if (!csv) return reply_error(response, 404, "job " + record->id + " has no loss log");
  response.set_content(*csv, "text/csv");
}

void Server::events(const httplib::Request& request, httplib::Response& response) {
  const auto record = find(request, response);
  if (!record) return;
  std::string after = request.get_header_value("Last-Event-ID");
  response.set_header("Cache-Control", "no-store");
  response.set_header("X-Accel-Buffering", "no");  // nginx: pass events on as they come
  const std::string id = record->id;
  response.set_chunked_content_provider(
      "text/event-stream", [this, id, after](std::size_t, httplib::DataSink& sink) mutable {
        std::optional<EventBatch> batch;
        std::optional<JobRecord> now;
        try {
          batch = backend_->events(id, after, kKeepAlive);
          if (!batch) now = backend_->get(id);
        } catch (const Error& e) {  // the backend went away: the client reconnects later
          return false;
        }
        if (!batch) {
          // Finished long enough ago that its events are gone: its record is the whole story.
          if (now) {
            const std::string event = sse({"end", "state", record_json(*now).dump()});
            sink.write(event.data(), event.size());
          }
          sink.done();
          return true;
        }
        std::string text = batch->events.empty() ? ": keep-alive\n\n" : "";
        for (const JobEvent& event : batch->events) {
          text += sse(event);
          after = event.id;
        }
        if (!sink.write(text.data(), text.size())) return false;  // the client went away
        if (batch->closed) sink.done();
        return true;
      });
}

void Server::remove(const httplib::Request& request, httplib::Response& response) {
  const auto record = find(request, response);
  if (!record) return;
  if (!is_finished(record->state) && backend_->cancel(record->id)) {
    if (const std::optional<JobRecord> now = backend_->get(record->id))
      return reply_json(response, 200, record_json(*now));
  }
  backend_->remove(record->id);
  reply_json(response, 200, {{"deleted", record->id}});
}

}  // namespace nst::serve
