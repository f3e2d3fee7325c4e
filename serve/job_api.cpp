// The handlers of /api/jobs: submitting, reading, cancelling and deleting jobs, and what a
// job makes (result, preview, loss log, events).
#include <httplib.h>
#include <sys/random.h>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "nst/image.h"
#include "serve/estimate.h"
#include "serve/http_util.h"
#include "serve/job_json.h"
#include "serve/request_text.h"
#include "serve/server.h"
#include "tensor/error.h"

namespace nst::serve {
namespace {

// 128 bits from the system's CSPRNG: an ID cannot be guessed from others.
std::string new_job_id() {
  unsigned char bytes[16];
  NST_CHECK(::getrandom(bytes, sizeof bytes, 0) == static_cast<ssize_t>(sizeof bytes),
            "cannot read the system's random numbers");
  std::string id;
  for (const unsigned char b : bytes) {
    id += "0123456789abcdef"[b >> 4];
    id += "0123456789abcdef"[b & 15];
  }
  return id;
}

// How long an event stream waits for news before it sends a comment to keep the connection
// (and proxies on the way) from timing out.
constexpr auto kKeepAlive = std::chrono::seconds(15);

// The painting a mask part is for, from "style-mask-N" ("style-source-mask-N"): N, counted from
// 0. nst::Error when N is not a painting's index.
std::size_t mask_index(const std::string& part_name, std::string_view prefix, std::size_t styles) {
  const std::string_view digits = std::string_view(part_name).substr(prefix.size());
  std::size_t index = 0;
  // N as written for it: no sign, no leading zeros, nothing after.
  const bool number =
      std::from_chars(digits.data(), digits.data() + digits.size(), index).ec == std::errc() &&
      digits == std::to_string(index);
  NST_CHECK(number && index < styles, excerpt(part_name), ": there ",
            styles == 1 ? "is 1 painting" : "are " + std::to_string(styles) + " paintings",
            ", so the mask parts are ", prefix, "0",
            styles > 1 ? " to " + std::string(prefix) + std::to_string(styles - 1) : "");
  return index;
}

// Puts each mask part in its painting's place ("style-mask-1": painting 1's, from 0); a
// painting without one has none. nst::Error for a mask of no painting, or two for one.
void add_masks(const std::vector<const httplib::MultipartFormData*>& parts, JobUploads& uploads) {
  const std::size_t styles = uploads.styles.size();
  for (const httplib::MultipartFormData* part : parts) {
    // "style-source-mask-" does not start with "style-mask-", so the test is exact.
    const bool source = part->name.starts_with(kStyleSourceMaskPart);
    const std::string_view prefix = source ? kStyleSourceMaskPart : kStyleMaskPart;
    std::vector<std::optional<Upload>>& masks =
        source ? uploads.style_source_masks : uploads.style_masks;
    const std::size_t index = mask_index(part->name, prefix, styles);
    masks.resize(styles);
    NST_CHECK(!masks[index], excerpt(part->name), ": sent twice; send one mask per painting");
    masks[index] = Upload{checked_file_name(part->filename, part->name), part->content};
  }
}

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

// Reads the multipart form through httplib's content reader, counting the bytes as they are
// decoded, so that --max-upload-mb holds whatever the transfer (Content-Length, chunked,
// compressed). Answers the request itself and returns nothing when the form cannot be taken.
std::optional<std::vector<httplib::MultipartFormData>> Server::read_form(
    const httplib::Request& request, httplib::Response& response,
    const httplib::ContentReader& reader) {
  if (!request.is_multipart_form_data()) {
    reply_error(response, 400,
                "send a multipart form: a 'content' file, one or more 'style' files and "
                "optionally 'options', a JSON object, and masks ('style-mask-N' parts)");
    return std::nullopt;
  }
  // The content, the options, and per painting: the picture, its mask and its source mask.
  const std::size_t max_parts = 2 + 3 * static_cast<std::size_t>(options_.limits.max_styles);
  std::vector<httplib::MultipartFormData> parts;
  int64_t received = 0;
  bool too_large = false, too_many = false;
  const bool whole = reader(
      [&](const httplib::MultipartFormData& part) {
        too_many = parts.size() == max_parts;
        if (!too_many) parts.push_back(part);
        return !too_many;
      },
      [&](const char* data, std::size_t size) {
        received += static_cast<int64_t>(size);
        too_large = received > options_.max_upload_bytes;
        if (!too_large) parts.back().content.append(data, size);
        return !too_large;
      });
  if (too_large || response.status == 413) {
    reply_error(response, 413, upload_limit_message());
  } else if (too_many) {
    reply_error(response, 400,
                "over " + std::to_string(max_parts) +
                    " parts in the form; this server takes one content file, at most " +
                    std::to_string(options_.limits.max_styles) +
                    " style files (--max-styles), their masks and the options");
  } else if (!whole) {
    reply_error(response, 400, "the form is malformed or was cut short");
  } else {
    return parts;
  }
  return std::nullopt;
}

std::string Server::upload_limit_message() const {
  return "the upload is over this server's limit of " +
         std::to_string(options_.max_upload_bytes >> 20) + " MB (--max-upload-mb)";
}

void Server::submit(const httplib::Request& request, httplib::Response& response,
                    const httplib::ContentReader& reader) {
  const std::optional<std::vector<httplib::MultipartFormData>> parts =
      read_form(request, response, reader);
  if (!parts) return;
  JobUploads uploads;
  std::vector<const httplib::MultipartFormData*> mask_parts;  // read once the styles are known
  nlohmann::json options = nlohmann::json::object();
  int contents = 0;
  JobSettings settings;
  JobRecord record;
  // Everything is checked before anything is stored: the form, the settings, then the
  // pictures' headers (they are decoded by the worker, off the HTTP threads).
  try {
    for (const httplib::MultipartFormData& part : *parts) {
      if (part.name == "content") {
        uploads.content = {checked_file_name(part.filename, "content"), part.content};
        ++contents;
      } else if (part.name == "style") {
        const std::string role = "style " + std::to_string(uploads.styles.size() + 1);
        uploads.styles.push_back({checked_file_name(part.filename, role), part.content});
      } else if (part.name == "options") {
        options = parse_options_text(part.content);
      } else if (part.name.starts_with(kStyleMaskPart) ||
                 part.name.starts_with(kStyleSourceMaskPart)) {
        mask_parts.push_back(&part);
      } else {
        return reply_error(response, 400,
                           "unknown form field '" + excerpt(part.name) +
                               "'; send content, style, options and style-mask-N parts");
      }
    }
    if (contents != 1) {
      return reply_error(response, 400,
                         contents == 0
                             ? "no 'content' file: send the photo to paint"
                             : "send one 'content' file, not " + std::to_string(contents));
    }
    if (uploads.styles.empty())
      return reply_error(response, 400, "no 'style' file: send a painting");
    add_masks(mask_parts, uploads);
    settings = parse_job_options(options, uploads.styles.size(), options_.limits).settings;
    record.iterations = plan_uploads(uploads, settings, options_.limits).total_iterations();
  } catch (const Error& e) {  // SettingError too
    return reply_error(response, 400, e.what());
  }

  record.id = new_job_id();
  record.options = options;
  record.settings = settings;
  record.content_name = uploads.content.filename;
  for (const Upload& style : uploads.styles) record.style_names.push_back(style.filename);
  record.style_mask_names = mask_names(uploads.style_masks, kStyleMaskPart);
  record.style_source_mask_names = mask_names(uploads.style_source_masks, kStyleSourceMaskPart);
  record.created = now_seconds();
  if (!backend_->submit(record, uploads, options_.max_queued)) {
    return reply_error(response, 429,
                       "the queue is full (" + std::to_string(options_.max_queued) +
                           " jobs wait); try again later");
  }
  ++accepted_;
  response.set_header("Location", "/api/jobs/" + record.id);
  reply_json(response, 201, record_json(record));
}

// A job's plan and time before its pictures are sent: their sizes in the query
// (?content=640x480&styles=800x600,512x512), the options as the body (as submit takes them).
// Judged by the same checks as a submission, so a page hears of a refusal before it uploads.
// The styles are one comma list, not a repeated parameter: httplib drops a repeated
// parameter's repeats, so two paintings of one size would count as one.
void Server::estimate(const httplib::Request& request, httplib::Response& response) {
  try {
    if (!request.has_param("content") || !request.has_param("styles")) {
      return reply_error(response, 400,
                         "give the pictures' sizes: ?content=WIDTHxHEIGHT&styles=WIDTHxHEIGHT,..., "
                         "one size per painting");
    }
    const std::string style_list = request.get_param_value("styles");
    const std::size_t style_count = std::count(style_list.begin(), style_list.end(), ',') + 1;
    if (style_count > static_cast<std::size_t>(options_.limits.max_styles)) {
      return reply_error(response, 400,
                         std::to_string(style_count) + " styles; this server takes at most " +
                             std::to_string(options_.limits.max_styles) + " (--max-styles)");
    }
    const int64_t max_pixels = options_.limits.max_pixels;
    const PlannedImage content{
        "content", parse_picture_size(request.get_param_value("content"), "content", max_pixels)};
    std::vector<PlannedImage> styles;
    std::size_t from = 0;
    for (std::size_t i = 0; i < style_count; ++i) {
      const std::size_t to = std::min(style_list.find(',', from), style_list.size());
      const std::string role = "style " + std::to_string(i + 1);
      styles.push_back(
          {role, parse_picture_size(style_list.substr(from, to - from), role, max_pixels)});
      from = to + 1;
    }
    const nlohmann::json options =
        request.body.empty() ? nlohmann::json::object() : parse_options_text(request.body);
    const JobSettings settings =
        parse_job_options(options, styles.size(), options_.limits).settings;
    const JobPlan planned = plan(settings, content, styles, {}, option_name);
    reply_json(response, 200, estimate_json(planned, settings, recent_speed(backend_->list())));
  } catch (const Error& e) {  // SettingError too
    reply_error(response, 400, e.what());
  }
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
  const ImageEncoding encoding = job_settings(*record, options_.limits).encoding;
  const std::vector<uint8_t> jpeg = encode_image(image, ImageFormat::jpeg, encoding);
  response.set_header("Content-Disposition", "inline; filename=\"nst-" + record->id + ".jpg\"");
  response.set_content(std::string(jpeg.begin(), jpeg.end()), "image/jpeg");
}

void Server::preview(const httplib::Request& request, httplib::Response& response) {
  const auto record = find(request, response);
  if (!record) return;
  response.set_header("Cache-Control", "no-store");
  // A finished run's last preview is its result, shrunk for a page; the result itself where that
  // preview is gone (a restarted server keeps no previews).
  std::optional<std::string> png = backend_->preview(record->id);
  if (!png && record->state == JobState::done) png = backend_->result(record->id);
  if (png) return response.set_content(*png, "image/png");
  reply_error(response, 404, "job " + record->id + " has no picture yet");
}

// The photo (/content), painting N (/styles/N, from 0) or its masks (/style-masks/N,
// /style-source-masks/N) as uploaded, for a page to show beside the result or to run the job
// again. They were checked to be PNG or JPEG when sent.
void Server::upload(const httplib::Request& request, httplib::Response& response) {
  const auto record = find(request, response);
  if (!record) return;
  std::string name = "content";
  if (request.matches.size() > 3) {
    const std::string kind = request.matches[2];  // "styles", "style-masks"... (the route)
    name = kind.substr(0, kind.size() - 1) + "-" + std::string(request.matches[3]);
  }
  std::optional<std::string> bytes = backend_->upload(record->id, name);
  if (!bytes) return reply_error(response, 404, "job " + record->id + " has no upload " + name);
  const bool png = bytes->starts_with("\x89PNG");
  response.set_header("Cache-Control", "private, max-age=86400");  // uploads never change
  response.set_content(std::move(*bytes), png ? "image/png" : "image/jpeg");
}

// A small picture of the job for a gallery: its result once done, else its latest preview,
// else its photo. Kept per job (ThumbnailCache) until the picture it comes from changes.
void Server::thumbnail(const httplib::Request& request, httplib::Response& response) {
  const auto record = find(request, response);
  if (!record) return;
  const bool done = record->state == JobState::done;
  const std::string version =
      done ? "done"
           : std::string(state_name(record->state)) + "-" + std::to_string(record->iteration);
  std::optional<std::string> png =
      thumbnails_.get(record->id, version, [&]() -> std::optional<std::string> {
        std::optional<std::string> source = backend_->preview(record->id);
        if (!source && done) source = backend_->result(record->id);
        if (!source) source = backend_->upload(record->id, "content");
        if (!source) return std::nullopt;
        return thumbnail_png(*source, "job " + record->id + "'s picture",
                             options_.limits.max_pixels);
      });
  if (!png) return reply_error(response, 404, "job " + record->id + " has no picture");
  response.set_header("Cache-Control", done ? "private, max-age=86400" : "no-store");
  response.set_content(std::move(*png), "image/png");
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
  // Each stream holds an HTTP thread while it is open: past the cap, come back later (the
  // page's reader retries; the record and /preview still answer meanwhile).
  if (++event_streams_ > max_event_streams_) {
    --event_streams_;
    response.set_header("Retry-After", "5");
    return reply_error(response, 503,
                       "this server follows " + std::to_string(max_event_streams_) +
                           " event streams at most, all open now; retry in a few seconds");
  }
  std::string after = excerpt(request.get_header_value("Last-Event-ID"), 64);
  response.set_header("Cache-Control", "no-store");
  response.set_header("X-Accel-Buffering", "no");  // nginx: pass events on as they come
  const std::string id = record->id;
  response.set_chunked_content_provider(
      "text/event-stream",
      [this, id, after](std::size_t, httplib::DataSink& sink) mutable {
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
          // Without one the job is gone (deleted, or the store lost it): say so, as the end.
          const std::string event =
              sse({"end", "state", now ? json_text(record_json(*now)) : deleted_event_data(id)});
          sink.write(event.data(), event.size());
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
      },
      [this](bool) { --event_streams_; });
}

void Server::remove(const httplib::Request& request, httplib::Response& response) {
  const auto record = find(request, response);
  if (!record) return;
  if (!is_finished(record->state) && backend_->cancel(record->id)) {
    if (const std::optional<JobRecord> now = backend_->get(record->id))
      return reply_json(response, 200, record_json(*now));
  }
  backend_->remove(record->id);
  thumbnails_.forget(record->id);
  reply_json(response, 200, {{"deleted", record->id}});
}

}  // namespace nst::serve
