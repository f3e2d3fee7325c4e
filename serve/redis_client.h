// A small synchronous Redis client over hiredis, for the Redis mode of the service: a pool of
// connections to one server, safe to use from many threads, that turns every reply into a
// plain value and every failure into an exception.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "serve/job_backend.h"

struct redisContext;

namespace nst::serve {

struct RedisAddress {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string url;  // as given, for messages
};

// redis://HOST[:PORT][/DB]; nst::Error saying what is wrong otherwise.
RedisAddress parse_redis_url(const std::string& url);

struct RedisValue {
  enum class Kind { nil, text, integer, array } kind = Kind::nil;  // text: strings and statuses
  std::string text;
  long long integer = 0;
  std::vector<RedisValue> items;

  bool is_nil() const { return kind == Kind::nil; }
};

// Whether an error reply says the server cannot answer yet rather than that the command is
// wrong: LOADING (a restarted Redis reading its data), BUSY (a script running), TRYAGAIN,
// MASTERDOWN. A client waits such a server out as it waits out an unreachable one.
bool redis_not_ready(std::string_view error);

class Redis {
 public:
  explicit Redis(RedisAddress address);
  ~Redis();
  Redis(const Redis&) = delete;
  Redis& operator=(const Redis&) = delete;

  // Runs one command (arguments binary-safe). BackendUnavailable when the server cannot be
  // reached, the connection breaks, or it answers that it is not ready (redis_not_ready);
  // nst::Error for another error reply. `timeout` must outlast a blocking command's own.
  RedisValue run(const std::vector<std::string>& args,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Runs a Lua script (EVAL) with its keys and arguments.
  RedisValue eval(const std::string& script, const std::vector<std::string>& keys,
                  const std::vector<std::string>& args);

  const RedisAddress& address() const { return address_; }

 private:
  redisContext* acquire();
  void release(redisContext* context);

  RedisAddress address_;
  std::mutex mutex_;
  std::vector<redisContext*> idle_;
};

}  // namespace nst::serve
