// A real redis-server for a test, on a free loopback port in a folder of the test's, and
// `nst worker` processes.
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <cstdio>
#include <string>

#include "tests/cli_runner.h"

namespace nst::testing {

// A port that was free a moment ago (the kernel's choice for port 0).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

// Runs a command line in the background (stdout and stderr to `log`); returns its pid.
inline pid_t start_process(const std::string& command, const std::string& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string line = "exec " + command + " > " + log + " 2>&1 < /dev/null";
    ::execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

class RedisProcess {
 public:
  // Appends every write to its log before answering (appendfsync always), so that a restart
  // finds everything a client was told was stored.
  explicit RedisProcess(const std::string& folder) : folder_(folder), port_(free_port()) {
    start();
  }
  ~RedisProcess() { stop(); }
  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;

  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  // Runs a command with redis-cli (e.g. "FLUSHALL"); true if it exited 0.
  bool command(const std::string& words) const {
    const std::string line = "redis-cli -p " + std::to_string(port_) + " " + words + " > /dev/null";
    return std::system(line.c_str()) == 0;
  }
  // What redis-cli prints for a command ("KEYS nst:*": one key per line).
  std::string reply(const std::string& words) const {
    const std::string line = "redis-cli -p " + std::to_string(port_) + " " + words;
    std::string out;
    if (FILE* pipe = ::popen(line.c_str(), "r")) {
      char buffer[4096];
      for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
        out.append(buffer, n);
      ::pclose(pipe);
    }
    return out;
  }
  void start() {
    pid_ =
        start_process("redis-server --port " + std::to_string(port_) + " --bind 127.0.0.1 --dir " +
                          folder_ + " --appendonly yes --appendfsync always --save ''",
                      folder_ + "/redis.log");
    const bool up = wait_for([&] {
      return read_bytes(folder_ + "/redis.log").find("Ready to accept connections") !=
             std::string::npos;
    });
    if (!up) ADD_FAILURE() << "redis-server did not start:\n" << read_bytes(folder_ + "/redis.log");
  }
  void stop() {
    if (pid_ <= 0) return;
    stop_process(pid_, SIGTERM);
    // The next start appends to the same log: look for a new "Ready" only.
    std::rename((folder_ + "/redis.log").c_str(), (folder_ + "/redis.old.log").c_str());
  }

 private:
  std::string folder_;
  int port_;
  pid_t pid_ = -1;
};

class WorkerProcess {
 public:
  WorkerProcess(const std::string& queue, const std::string& name, const std::string& args,
                const std::string& log)
      : log_(log) {
    pid_ = start_process(std::string(NST_BINARY) + " worker --queue " + queue + " --name " + name +
                             " --weights random --threads 1 " + args,
                         log);
  }
  ~WorkerProcess() { stop(SIGTERM); }
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  int stop(int signal) { return stop_process(pid_, signal); }
  std::string log() const { return read_bytes(log_); }

 private:
  std::string log_;
  pid_t pid_ = -1;
};

}  // namespace nst::testing
