// `nst serve`: style transfer over HTTP. The API (README, "Service") and the web page, over a
// JobBackend that keeps and runs the jobs (serve/job_backend.h: embedded, or Redis).
// Everything a client sends is checked by the job API before the job is accepted; what the
// backend accepts survives a crash.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "serve/job_backend.h"
#include "serve/job_request.h"
#include "serve/thumbnails.h"

namespace httplib {
class Server;
class ContentReader;
struct MultipartFormData;
struct Request;
struct Response;
}  // namespace httplib

namespace nst::serve {

class HttpServer;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;    // 0: any free port (see port())
  std::string token;  // when set, /api/ requests need "Authorization: Bearer TOKEN"
  // Without a token, requests must name this server in Host (an IP address, localhost, or one
  // of these names: a proxy's public name), and come from its own page if they carry an Origin.
  std::vector<std::string> allowed_hosts;
  int64_t max_upload_bytes = int64_t{50} << 20;  // a whole request
  int max_queued = 100;                          // jobs waiting; beyond: 429
  JobLimits limits;                              // each job's, checked at submission
};

class Server {
 public:
  // Binds the port (nst::Error if it cannot).
  Server(ServerOptions options, std::unique_ptr<JobBackend> backend);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return port_; }
  void listen();  // serves until stop()
  // From any thread: ends event streams, stops the backend's workers (their jobs saved for
  // the next start) and stops accepting requests.
  void stop();

 private:
  void routes();
  bool authorized(const httplib::Request& request) const;
  // Without a token: why a request from another site (its Origin) or for another host name
  // (its Host: DNS rebinding) is refused; "" when it is not.
  std::string foreign_origin(const httplib::Request& request) const;
  std::optional<std::vector<httplib::MultipartFormData>> read_form(
      const httplib::Request& request, httplib::Response& response,
      const httplib::ContentReader& reader);
  std::string upload_limit_message() const;
  void submit(const httplib::Request& request, httplib::Response& response,
              const httplib::ContentReader& reader);
  void estimate(const httplib::Request& request, httplib::Response& response);
  void job(const httplib::Request& request, httplib::Response& response);
  void result(const httplib::Request& request, httplib::Response& response);
  void preview(const httplib::Request& request, httplib::Response& response);
  void upload(const httplib::Request& request, httplib::Response& response);
  void thumbnail(const httplib::Request& request, httplib::Response& response);
  void losses(const httplib::Request& request, httplib::Response& response);
  void events(const httplib::Request& request, httplib::Response& response);
  void remove(const httplib::Request& request, httplib::Response& response);
  void metrics(httplib::Response& response);
  std::optional<JobRecord> find(const httplib::Request& request, httplib::Response& response);
  nlohmann::json record_json(const JobRecord& record);
  ServerOptions options_;
  std::unique_ptr<JobBackend> backend_;
  ThumbnailCache thumbnails_;
  std::unique_ptr<HttpServer> http_;
  int port_ = 0;
  // httplib's stop() does nothing until its accept loop runs: a stop between the bind and that
  // moment (a signal right after "listening on" is printed) would be lost, and the process
  // would serve on. listen() and stop() settle it with these flags (see server.cpp).
  std::atomic<bool> listen_called_{false}, stop_requested_{false}, listen_returned_{false};
  std::atomic<int64_t> accepted_{0};
  const int max_event_streams_;
  std::atomic<int> event_streams_{0};
};

}  // namespace nst::serve
