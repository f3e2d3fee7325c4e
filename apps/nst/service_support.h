// What `nst serve` and `nst worker` share: the network, loaded once per pooling, and running
// until SIGINT or SIGTERM asks to stop.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "nn/vgg19.h"
#include "serve/redis_client.h"

namespace nst::cli {

// One network per pooling, loaded on first use and shared by the jobs (the network is frozen;
// nn/conv2d.h's filter cache is safe to share).
class ServiceModels {
 public:
  explicit ServiceModels(std::string weights) : weights_(std::move(weights)) {}
  std::shared_ptr<nn::Vgg19> get(nn::Pooling pooling);

 private:
  std::string weights_;
  std::mutex mutex_;
  std::map<nn::Pooling, std::shared_ptr<nn::Vgg19>> models_;
};

// The weights a service uses: --weights if given (checked), else the lookup of
// weights/locate.h. UsageError for a malformed random:SEED.
std::string service_weights(const std::string& option);

// --queue's Redis address (serve/redis_client.h); UsageError naming the option if malformed.
serve::RedisAddress queue_address(const std::string& url);

// --threads as given (0: all cores); UsageError above 4 per core.
int checked_thread_count(int threads);

// The token of `nst serve`: --token, else the first line of --token-file, else $NST_TOKEN;
// "" for none. UsageError for both options, or a token file that is unreadable or empty.
std::string service_token(const std::string& option, const std::string& file);

// Blocks SIGINT and SIGTERM in this thread (and so in every thread it starts after), so that
// start() may start threads; then runs `serve` until it returns, calling `stop` from another
// thread when one of the signals arrives.
void run_until_stop_signal(const std::function<void()>& start, const std::function<void()>& serve,
                           const std::function<void()>& stop, const std::string& stopping_note);

}  // namespace nst::cli
