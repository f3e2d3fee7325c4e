// cpp-httplib's server with what a server facing strangers needs and Debian's build of the
// library does not give (its limits are compiled into libcpp-httplib):
//   - a deadline for a request's headers: httplib's read timeout counts from one byte to the
//     next, so a client sending a byte every few seconds would hold a thread for hours. Here the
//     headers must be complete within `header_deadline` of the request's first wait; after
//     that (the body, the handler) only the per-read timeout applies.
//   - a listen backlog as deep as the thread pool (the library's is 5: a burst of clients got
//     connection resets instead of answers).
// The connection loop is ours (httplib lets a subclass replace it); parsing, routing and
// writing remain httplib's, through its protected process_request().
#pragma once

#include <httplib.h>

#include <chrono>

namespace nst::serve {

class HttpServer : public httplib::Server {
 public:
  HttpServer(std::size_t threads, std::chrono::milliseconds header_deadline);

  // After bind_to_port: the backlog becomes the thread count (Linux takes a second listen()
  // on a listening socket as a change of its backlog).
  void deepen_backlog();
  // From a handler (the pre-routing one): this request's headers are in; its deadline ends.
  static void headers_read();
  // From the error handler: whether this thread's request failed for want of its headers,
  // past the deadline or the read timeout (then it deserves 408, not httplib's 400).
  static bool headers_timed_out();

 private:
  bool process_and_close_socket(socket_t sock) override;

  std::size_t threads_;
  std::chrono::milliseconds header_deadline_;
};

}  // namespace nst::serve
