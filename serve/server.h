// `nst serve`: style transfer over HTTP. The API (README, "Service"), the web page, and the
// embedded job queue: job records in SQLite, files in one folder per job, workers in this
// process. Everything a client sends is checked by the job API before the job is accepted, and
// an accepted job survives a crash: at the next start, jobs that were running continue from
// their last resume file and queued ones run.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "serve/job_events.h"
#include "serve/job_files.h"
#include "serve/job_request.h"
#include "serve/job_store.h"
#include "serve/workers.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace nst::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;    // 0: any free port (see port())
  std::string data;   // DATA: DATA/jobs.sqlite and DATA/jobs/ID/
  std::string token;  // when set, /api/ requests need "Authorization: Bearer TOKEN"
  int workers = 1;
  int64_t max_upload_bytes = int64_t{50} << 20;  // a whole request
  int max_queued = 100;                          // jobs waiting; beyond: 429
  JobLimits limits;                              // each job's
  int checkpoint_every = 0;                      // iterations; 0: about every 10 seconds
};

class Server {
 public:
  // Opens the store, recovers what a crash left (running jobs go back to the queue, half-stored
  // uploads are removed) and binds the port; nst::Error if any of it fails. The workers start
  // here: queued jobs begin to run before listen() is called.
  Server(ServerOptions options, ModelSource models);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return port_; }
  void listen();  // serves until stop()
  // From any thread: stops accepting requests, ends event streams, stops the workers (their
  // jobs saved for the next start).
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
  JobStore store_;
  JobFiles files_;
  JobEvents events_;
  std::unique_ptr<httplib::Server> http_;
  std::unique_ptr<Workers> workers_;
  int port_ = 0;
  std::mutex admission_;  // the queue-length check and the insert, together
  std::atomic<int64_t> accepted_{0};
};

}  // namespace nst::serve
