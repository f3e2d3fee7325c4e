#include "apps/nst/service_support.h"

#include <pthread.h>

#include <atomic>
#include <cctype>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include "apps/nst/cli.h"
#include "tensor/error.h"
#include "tensor/threads.h"
#include "weights/locate.h"

namespace nst::cli {

std::shared_ptr<nn::Vgg19> ServiceModels::get(nn::Pooling pooling) {
  const std::lock_guard lock(mutex_);
  std::shared_ptr<nn::Vgg19>& model = models_[pooling];
  if (!model) {
    std::string description;
    model = load_vgg19_model(weights_, pooling, std::cerr, &description);
    if (models_.size() == 1) std::cerr << "nst: weights: " << description << "\n";
  }
  return model;
}

std::string service_weights(const std::string& option) {
  if (option.empty()) return locate_weights();
  try {
    random_weights_seed(option);
  } catch (const Error& e) {
    throw UsageError(std::string("--weights ") + e.what());
  }
  return option;
}

serve::RedisAddress queue_address(const std::string& url) {
  try {
    return serve::parse_redis_url(url);
  } catch (const Error& e) {
    throw UsageError(std::string("--queue ") + e.what());
  }
}

int checked_thread_count(int threads) {
  if (threads > max_threads()) {
    throw UsageError("--threads must be at most " + std::to_string(max_threads()) +
                     " (4 per core), got " + std::to_string(threads));
  }
  return threads;
}

std::string service_token(const std::string& option, const std::string& file) {
  if (!option.empty() && !file.empty()) throw UsageError("give --token or --token-file, not both");
  if (!option.empty()) return option;
  if (file.empty()) {
    const char* token = std::getenv("NST_TOKEN");
    return token ? token : "";
  }
  std::ifstream in(file);
  if (!in) throw UsageError("--token-file " + file + ": cannot open for reading");
  std::string token;
  std::getline(in, token);
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) throw UsageError("--token-file " + file + ": its first line is empty");
  return token;
}

void run_until_stop_signal(const std::function<void()>& start, const std::function<void()>& serve,
                           const std::function<void()>& stop, const std::string& stopping_note) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  start();
  std::atomic<bool> serving{true};
  // Owned on every path: joined whether serve() returns or throws, and catching what stop()
  // throws (an exception escaping a thread would end the process without a word).
  std::thread watcher([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    if (!serving) return;  // woken because serve() ended by itself
    std::cerr << stopping_note << "\n" << std::flush;
    try {
      stop();
    } catch (const std::exception& e) {
      std::cerr << "nst: while stopping: " << e.what() << "\n";
    }
  });
  const auto end_watcher = [&] {
    serving = false;
    pthread_kill(watcher.native_handle(), SIGTERM);  // wakes it if no signal came
    watcher.join();
  };
  try {
    serve();
  } catch (...) {
    end_watcher();
    throw;
  }
  end_watcher();
}

}  // namespace nst::cli
