#include "serve/server.h"

#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "serve/host_check.h"
#include "serve/http_server.h"
#include "serve/http_util.h"
#include "serve/job_json.h"
#include "serve/log_line.h"
#include "serve/page.h"
#include "tensor/error.h"

namespace nst::serve {
namespace {

// Each open event stream holds one of these threads for as long as its client watches, so
// streams get at most half of them: the rest always answer the API and /healthz.
constexpr std::size_t kHttpThreads = 64;
constexpr int kMaxEventStreams = kHttpThreads / 2;
// A request's headers must be in within this (serve/http_server.h).
constexpr std::chrono::seconds kHeaderDeadline(10);

// Compares without stopping at the first difference, so the time taken says nothing about
// how much of a guessed token was right.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    difference |= static_cast<unsigned char>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
  return difference == 0 && !b.empty();
}

std::string metric(const std::string& name, const std::string& type, const std::string& help) {
  return "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

Server::Server(ServerOptions options, std::unique_ptr<JobBackend> backend)
    : options_(std::move(options)),
      backend_(std::move(backend)),
      http_(std::make_unique<HttpServer>(kHttpThreads, kHeaderDeadline)),
      max_event_streams_(kMaxEventStreams) {
  routes();
  port_ = options_.port == 0
              ? http_->bind_to_any_port(options_.host)
              : (http_->bind_to_port(options_.host, options_.port) ? options_.port : -1);
  NST_CHECK(port_ > 0, "cannot listen on ", options_.host, ":", options_.port,
            " (in use, or not an address of this machine)");
  http_->deepen_backlog();
}

Server::~Server() { stop(); }

// Either listen() sees the stop request and never starts, or stop() sees listen() begun and
// waits for httplib's loop to be running (or to have ended) before stopping it. Both flags are
// sequentially consistent, so one of the two always sees the other's.
void Server::listen() {
  listen_called_ = true;
  if (!stop_requested_) http_->listen_after_bind();
  listen_returned_ = true;
}

void Server::stop() {
  backend_->stop();  // first: open event streams end, freeing their HTTP threads
  stop_requested_ = true;
  while (listen_called_ && !listen_returned_ && !http_->is_running())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  http_->stop();
}

bool Server::authorized(const httplib::Request& request) const {
  if (options_.token.empty()) return true;
  return same_secret(request.get_header_value("Authorization"), "Bearer " + options_.token);
}

std::string Server::foreign_origin(const httplib::Request& request) const {
  if (!options_.token.empty()) return "";  // the token decides; a page elsewhere cannot send it
  const std::string host = request.get_header_value("Host");
  if (!is_allowed_host(host_name(host), options_.allowed_hosts)) {
    return "this server does not answer to the host name '" + excerpt(host) +
           "'; add it with --allow-host if a proxy forwards it";
  }
  const std::string origin = request.get_header_value("Origin");
  if (!origin.empty() && origin != "http://" + host && origin != "https://" + host &&
      !is_allowed_origin(origin, options_.allowed_hosts)) {
    return "requests from the page at " + excerpt(origin) +
           " are refused: without --token, only this server's own page may call its API";
  }
  return "";
}

void Server::routes() {
  httplib::Server& http = *http_;
  http.set_payload_max_length(static_cast<std::size_t>(options_.max_upload_bytes));
  http.set_pre_routing_handler(
      [this](const httplib::Request& request, httplib::Response& response) {
        HttpServer::headers_read();
        if (const std::string refused = foreign_origin(request); !refused.empty()) {
          reply_error(response, 403, refused);
          return httplib::Server::HandlerResponse::Handled;
        }
        if (request.path.rfind("/api/", 0) == 0 && !authorized(request)) {
          response.set_header("WWW-Authenticate", "Bearer");
          reply_error(response, 401,
                      "this server needs a token: send the header 'Authorization: Bearer TOKEN'");
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });
  http.set_exception_handler(
      [](const httplib::Request& request, httplib::Response& response, std::exception_ptr error) {
        try {
          std::rethrow_exception(error);
        } catch (const BackendUnavailable& e) {
          reply_error(response, 503, e.what());
        } catch (const StorageFull& e) {
          log_line("nst serve", e.what());
          reply_error(response, 507, "the server's disk is full; try again later");
        } catch (const std::exception& e) {
          // The details may name the server's files: they go to its log, not to the client.
          log_line("nst serve",
                   "error in " + request.method + " " + excerpt(request.path) + ": " + e.what());
          reply_error(response, 500, "internal error; the server's log says more");
        } catch (...) {
          reply_error(response, 500, "internal error");
        }
      });
  // httplib's own refusals (no such route, a body over the limit) get a JSON body too.
  http.set_error_handler([this](const httplib::Request& request, httplib::Response& response) {
    if (!response.body.empty()) return;
    if (response.status == 400 && HttpServer::headers_timed_out()) {
      reply_error(response, 408,
                  "the request's headers did not arrive in time (" +
                      std::to_string(kHeaderDeadline.count()) + " s at most)");
    } else if (response.status == 413) {
      reply_error(response, 413, upload_limit_message());
    } else if (response.status == 404) {
      reply_error(response, 404, "nothing at " + request.path);
    } else {
      reply_error(response, response.status,
                  "the request was refused (HTTP " + std::to_string(response.status) + ")");
    }
  });

  http.Get("/", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(kPageHtml, "text/html; charset=utf-8");
  });
  http.Get("/mask-painter.js", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(kMaskPainterJs, "text/javascript; charset=utf-8");
  });
  http.Get("/healthz", [this](const httplib::Request&, httplib::Response& response) {
    try {
      backend_->check_health();
      response.set_content("ok\n", "text/plain");
    } catch (const std::exception& e) {
      response.status = 503;
      response.set_content(std::string(e.what()) + "\n", "text/plain");
    }
  });
  http.Get("/metrics",
           [this](const httplib::Request&, httplib::Response& response) { metrics(response); });
  http.Post("/api/jobs", [this](const httplib::Request& q, httplib::Response& r,
                                const httplib::ContentReader& reader) { submit(q, r, reader); });
  http.Get("/api/settings", [this](const httplib::Request&, httplib::Response& response) {
    reply_json(response, 200, settings_json(options_.limits));
  });
  http.Post("/api/estimate",
            [this](const httplib::Request& q, httplib::Response& r) { estimate(q, r); });
  http.Get("/api/jobs", [this](const httplib::Request&, httplib::Response& response) {
    nlohmann::json jobs = nlohmann::json::array();
    for (const JobRecord& record : backend_->list()) jobs.push_back(record_json(record));
    reply_json(response, 200, {{"jobs", jobs}});
  });
  // 32 hex digits; 16 for the jobs of servers before IDs had 128 bits.
  const std::string job = R"(/api/jobs/([0-9a-f]{16}(?:[0-9a-f]{16})?))";
  http.Get(job, [this](const httplib::Request& q, httplib::Response& r) { this->job(q, r); });
  http.Delete(job, [this](const httplib::Request& q, httplib::Response& r) { remove(q, r); });
  http.Get(job + "/result",
           [this](const httplib::Request& q, httplib::Response& r) { result(q, r); });
  http.Get(job + "/preview",
           [this](const httplib::Request& q, httplib::Response& r) { preview(q, r); });
  http.Get(job + "/content",
           [this](const httplib::Request& q, httplib::Response& r) { upload(q, r); });
  http.Get(job + R"(/(styles|style-masks|style-source-masks)/(\d{1,3}))",
           [this](const httplib::Request& q, httplib::Response& r) { upload(q, r); });
  http.Get(job + "/thumbnail",
           [this](const httplib::Request& q, httplib::Response& r) { thumbnail(q, r); });
  http.Get(job + "/losses",
           [this](const httplib::Request& q, httplib::Response& r) { losses(q, r); });
  http.Get(job + "/events",
           [this](const httplib::Request& q, httplib::Response& r) { events(q, r); });
}

nlohmann::json Server::record_json(const JobRecord& record) {
  return job_json(record,
                  record.state == JobState::queued ? backend_->queue_position(record.id) : 0);
}

void Server::metrics(httplib::Response& response) {
  const BackendCounts c = backend_->counts();
  std::string text = metric("nst_jobs", "gauge", "Jobs in the store, by state.");
  for (const auto& [state, count] : c.jobs) {
    text += "nst_jobs{state=\"" + std::string(state_name(state)) + "\"} " + std::to_string(count) +
            "\n";
  }
  const auto line = [&](const std::string& name, const std::string& type, const std::string& help,
                        const std::string& value) {
    text += metric(name, type, help) + name + " " + value + "\n";
  };
  line("nst_queue_length", "gauge", "Jobs waiting for a worker.",
       std::to_string(c.jobs.at(JobState::queued)));
  line("nst_iterations_per_second", "gauge", "Iterations per second of all running jobs together.",
       std::to_string(c.iterations_per_second));
  line("nst_workers", "gauge", "Workers that can run jobs.", std::to_string(c.workers));
  line("nst_workers_busy", "gauge", "Workers running a job now.", std::to_string(c.busy));
  line("nst_jobs_accepted_total", "counter", "Jobs accepted by this server since it started.",
       std::to_string(accepted_.load()));
  response.set_content(text, "text/plain; version=0.0.4");
}

}  // namespace nst::serve
