#include "serve/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

namespace nst::serve {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Waits up to `wait` for `events` on the socket; false on timeout or error.
bool wait_for(socket_t sock, short events, milliseconds wait) {
  pollfd p{.fd = sock, .events = events, .revents = 0};
  int ready = 0;
  const Clock::time_point until = Clock::now() + wait;
  do {
    const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
    ready = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
  } while (ready < 0 && errno == EINTR);
  return ready > 0;
}

void address_of(socket_t sock, bool peer, std::string& ip, int& port) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  const int rc = peer ? ::getpeername(sock, reinterpret_cast<sockaddr*>(&address), &length)
                      : ::getsockname(sock, reinterpret_cast<sockaddr*>(&address), &length);
  if (rc != 0) return;
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    port = ntohs(v4->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    port = ntohs(v6->sin6_port);
  }
  ip = text;
}

// A connection as httplib reads and writes it, buffered (httplib reads a request's head a
// byte at a time), with the headers' deadline.
class ConnectionStream : public httplib::Stream {
 public:
  ConnectionStream(socket_t sock, milliseconds read_timeout, milliseconds write_timeout)
      : sock_(sock), read_timeout_(read_timeout), write_timeout_(write_timeout) {}

  void start_request(Clock::time_point deadline) {
    deadline_ = deadline;
    headers_timed_out_ = false;
  }
  void headers_read() { deadline_.reset(); }
  bool headers_timed_out() const { return headers_timed_out_; }
  bool has_buffered() const { return begin_ < end_; }

  bool is_readable() const override {
    if (has_buffered()) return true;
    milliseconds wait = read_timeout_;
    if (deadline_) {
      wait = std::min(wait, std::chrono::duration_cast<milliseconds>(*deadline_ - Clock::now()));
    }
    const bool readable = wait.count() > 0 && wait_for(sock_, POLLIN, wait);
    headers_timed_out_ = !readable && deadline_.has_value();
    return readable;
  }
  bool is_writable() const override { return wait_for(sock_, POLLOUT, write_timeout_); }

  ssize_t read(char* ptr, size_t size) override {
    if (!has_buffered()) {
      if (!is_readable()) return -1;
      ssize_t n = 0;
      do {
        n = ::recv(sock_, buffer_, sizeof buffer_, 0);
      } while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      begin_ = 0;
      end_ = static_cast<std::size_t>(n);
    }
    const std::size_t taken = std::min(size, end_ - begin_);
    std::copy(buffer_ + begin_, buffer_ + begin_ + taken, ptr);
    begin_ += taken;
    return static_cast<ssize_t>(taken);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n = 0;
    do {
      n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    address_of(sock_, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    address_of(sock_, false, ip, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  socket_t sock_;
  milliseconds read_timeout_, write_timeout_;
  std::optional<Clock::time_point> deadline_;
  mutable bool headers_timed_out_ = false;
  char buffer_[4096];
  std::size_t begin_ = 0, end_ = 0;
};

thread_local ConnectionStream* current = nullptr;  // the connection this thread serves

milliseconds duration_of(time_t seconds, time_t microseconds) {
  return milliseconds(seconds * 1000 + microseconds / 1000);
}

}  // namespace

HttpServer::HttpServer(std::size_t threads, milliseconds header_deadline)
    : threads_(threads), header_deadline_(header_deadline) {
  new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
}

void HttpServer::deepen_backlog() { ::listen(svr_sock_, static_cast<int>(threads_)); }

void HttpServer::headers_read() {
  if (current) current->headers_read();
}

bool HttpServer::headers_timed_out() { return current && current->headers_timed_out(); }

bool HttpServer::process_and_close_socket(socket_t sock) {
  // httplib writes a response's head and body separately: with Nagle's algorithm the body
  // waited for the client's delayed ACK of the head, 40 ms on Linux (bench/soak_serve.py).
  const int one = 1;
  ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ConnectionStream stream(sock, duration_of(read_timeout_sec_, read_timeout_usec_),
                          duration_of(write_timeout_sec_, write_timeout_usec_));
  current = &stream;
  const milliseconds keep_alive(keep_alive_timeout_sec_ * 1000);
  constexpr milliseconds kStep(100);  // how often an idle connection checks for stop()
  bool served = false;
  for (std::size_t left = keep_alive_max_count_; left > 0 && is_running(); --left) {
    // The next request: buffered already, or within the keep-alive timeout.
    bool ready = stream.has_buffered();
    for (milliseconds waited(0); !ready && waited < keep_alive && is_running(); waited += kStep)
      ready = wait_for(sock, POLLIN, kStep);
    if (!ready) break;
    stream.start_request(Clock::now() + header_deadline_);
    bool closed = false;
    served = process_request(stream, left == 1, closed, nullptr);
    if (!served || closed) break;
  }
  current = nullptr;
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return served;
}

}  // namespace nst::serve
