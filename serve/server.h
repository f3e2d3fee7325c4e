// `nst serve`: style transfer over HTTP. The API (README, "Service") and the web page, over a
// JobBackend that keeps and runs the jobs (serve/job_backend.h: embedded, or Redis).
// Everything a client sends is checked by the job API before the job is accepted; what the
// backend accepts survives a crash.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "serve/job_backend.h"
#include "serve/job_request.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace nst::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;    // 0: any free port (see port())
  std::string token;  // when set, /api/ requests need "Authorization: Bearer TOKEN"
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
  void submit(const httplib::Request& request, httplib::Response& response);
  void job(const httplib::Request& request, httplib::Response& response);
  void result(const httplib::Request& request, httplib::Response& response);
  void preview(const httplib::Request& request, httplib::Response& response);
  void losses(const httplib::Request& request, httplib::Response& response);
  void events(const httplib::Request& request, httplib::Response& response);
  void remove(const httplib::Request& request, httplib::Response& response);
  void metrics(httplib::Response& response);
  std::optional<JobRecord> find(const httplib::Request& request, httplib::Response& response);
  nlohmann::json record_json(const JobRecord& record);
  ServerOptions options_;
  std::unique_ptr<JobBackend> backend_;
  std::unique_ptr<httplib::Server> http_;
  int port_ = 0;
  std::atomic<int64_t> accepted_{0};
};

}  // namespace nst::serve
