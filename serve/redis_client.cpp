#include "serve/redis_client.h"

#include <hiredis/hiredis.h>

#include <charconv>

namespace nst::serve {
namespace {

constexpr std::size_t kMaxIdle = 8;

timeval to_timeval(std::chrono::milliseconds ms) {
  return {static_cast<time_t>(ms.count() / 1000),
          static_cast<suseconds_t>(ms.count() % 1000 * 1000)};
}

RedisValue value_of(const redisReply* reply) {
  RedisValue v;
  switch (reply->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      v.kind = RedisValue::Kind::text;
      v.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_INTEGER:
      v.kind = RedisValue::Kind::integer;
      v.integer = reply->integer;
      break;
    case REDIS_REPLY_ARRAY:
      v.kind = RedisValue::Kind::array;
      for (std::size_t i = 0; i < reply->elements; ++i)
        v.items.push_back(value_of(reply->element[i]));
      break;
    default: break;
  }
  return v;
}

int number_in(const std::string& text, const std::string& url, const char* what) {
  int value = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  NST_CHECK(ec == std::errc() && end == text.data() + text.size() && value >= 0, url, ": the ",
            what, " must be a number, got '", text, "'");
  return value;
}

}  // namespace

RedisAddress parse_redis_url(const std::string& url) {
  const std::string scheme = "redis://";
  NST_CHECK(url.rfind(scheme, 0) == 0, url,
            ": not a Redis URL; write redis://HOST:PORT or redis://HOST:PORT/DB");
  RedisAddress a;
  a.url = url;
  std::string rest = url.substr(scheme.size());
  if (const std::size_t slash = rest.find('/'); slash != std::string::npos) {
    a.db = number_in(rest.substr(slash + 1), url, "database");
    rest.resize(slash);
  }
  if (const std::size_t colon = rest.rfind(':'); colon != std::string::npos) {
    a.port = number_in(rest.substr(colon + 1), url, "port");
    NST_CHECK(a.port > 0 && a.port <= 65535, url, ": the port must be 1..65535");
    rest.resize(colon);
  }
  NST_CHECK(!rest.empty(), url, ": no host; write redis://HOST:PORT");
  a.host = rest;
  return a;
}

Redis::Redis(RedisAddress address) : address_(std::move(address)) {}

Redis::~Redis() {
  for (redisContext* c : idle_) redisFree(c);
}

redisContext* Redis::acquire() {
  {
    const std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      redisContext* c = idle_.back();
      idle_.pop_back();
      return c;
    }
  }
  redisContext* c = redisConnectWithTimeout(address_.host.c_str(), address_.port,
                                            to_timeval(std::chrono::seconds(2)));
  if (!c || c->err) {
    const std::string why = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    throw BackendUnavailable("the queue (Redis at " + address_.url + ") is unreachable: " + why);
  }
  if (address_.db != 0) {
    auto* reply = static_cast<redisReply*>(redisCommand(c, "SELECT %d", address_.db));
    const bool ok = reply && reply->type != REDIS_REPLY_ERROR;
    if (reply) freeReplyObject(reply);
    if (!ok) {
      redisFree(c);
      throw BackendUnavailable("the queue (Redis at " + address_.url + ") refused SELECT " +
                               std::to_string(address_.db));
    }
  }
  return c;
}

bool redis_not_ready(std::string_view error) {
  for (const std::string_view code : {"LOADING ", "BUSY ", "TRYAGAIN ", "MASTERDOWN "}) {
    if (error.starts_with(code)) return true;
  }
  return false;
}

void Redis::release(redisContext* c) {
  const std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdle) {
    idle_.push_back(c);
  } else {
    redisFree(c);
  }
}

RedisValue Redis::run(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  redisContext* c = acquire();
  redisSetTimeout(c, to_timeval(timeout));
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lengths.data()));
  if (!reply) {
    const std::string why = c->errstr;
    redisFree(c);  // a broken connection is not reused
    throw BackendUnavailable("the queue (Redis at " + address_.url + ") is unreachable: " + why);
  }
  const bool error = reply->type == REDIS_REPLY_ERROR;
  const std::string error_text = error ? std::string(reply->str, reply->len) : "";
  RedisValue value = value_of(reply);
  freeReplyObject(reply);
  release(c);
  if (error && redis_not_ready(error_text)) {
    throw BackendUnavailable("the queue (Redis at " + address_.url +
                             ") is not ready: " + error_text);
  }
  NST_CHECK(!error, "Redis ", args.empty() ? "" : args[0], ": ", error_text);
  return value;
}

RedisValue Redis::eval(const std::string& script, const std::vector<std::string>& keys,
                       const std::vector<std::string>& args) {
  std::vector<std::string> command{"EVAL", script, std::to_string(keys.size())};
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), args.begin(), args.end());
  return run(command);
}

}  // namespace nst::serve
