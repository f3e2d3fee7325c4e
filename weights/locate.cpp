#include "weights/locate.h"

#include <charconv>
#include <cstdlib>
#include <filesystem>

#include "tensor/error.h"
#include "weights/vgg19_weights.h"

namespace nst {
namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string cache_home() {
  if (!env("XDG_CACHE_HOME").empty()) return env("XDG_CACHE_HOME");
  NST_CHECK(!env("HOME").empty(),
            "cannot find a cache folder: neither XDG_CACHE_HOME nor HOME is set");
  return env("HOME") + "/.cache";
}

bool is_file(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

}  // namespace

std::string nst_cache_dir() { return cache_home() + "/nst"; }

std::string default_weights_path() { return nst_cache_dir() + "/vgg19.safetensors"; }

std::string torch_hub_weights_path() {
  const std::string torch_home =
      !env("TORCH_HOME").empty() ? env("TORCH_HOME") : cache_home() + "/torch";
  return torch_home + "/hub/checkpoints/vgg19-dcbb9e9d.pth";
}

std::string locate_weights() {
  const std::string from_env = env("NST_WEIGHTS");
  if (!from_env.empty()) {
    try {
      if (random_weights_seed(from_env)) return from_env;
    } catch (const Error& e) {
      fail("NST_WEIGHTS=", e.what());
    }
    NST_CHECK(is_file(from_env), "NST_WEIGHTS=", from_env, " is not a file");
    return from_env;
  }
  const std::string candidates[] = {default_weights_path(), torch_hub_weights_path()};
  for (const std::string& path : candidates) {
    if (is_file(path)) return path;
  }
  fail("no VGG19 weights found. Looked in:\n  $NST_WEIGHTS (not set)\n  ", candidates[0], "\n  ",
       candidates[1],
       "\nGet them with `nst weights fetch` (needs internet), pass --weights FILE, "
       "or use --weights random for an untrained network");
}

std::optional<uint64_t> random_weights_seed(std::string_view value) {
  if (value == "random") return 0;
  if (!value.starts_with("random:")) return std::nullopt;
  const std::string_view digits = value.substr(7);
  uint64_t seed = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seed);
  NST_CHECK(ec == std::errc() && end == digits.data() + digits.size() && !digits.empty(), value,
            ": the seed after 'random:' must be a non-negative integer");
  return seed;
}

std::shared_ptr<nn::Vgg19> load_vgg19_model(const std::string& weights_option, nn::Pooling pooling,
                                            std::ostream& notices, std::string* description) {
  const std::string chosen = weights_option.empty() ? locate_weights() : weights_option;
  if (const std::optional<uint64_t> random_seed = random_weights_seed(chosen)) {
    const uint64_t seed = *random_seed;
    auto model = std::make_shared<nn::Vgg19>(pooling);
    model->init_random(seed);
    notices << "nst: note: using an UNTRAINED VGG19 (random weights, seed " << seed
            << "): fine for tests and timing, but the picture will not look like a painting.\n";
    if (description != nullptr) *description = "random VGG19 (seed " + std::to_string(seed) + ")";
    return model;
  }
  const std::string& path = chosen;
  const Vgg19Weights weights = read_vgg19_weights(path);
  auto model = std::make_shared<nn::Vgg19>(pooling, weights.preprocessing);
  load_vgg19(*model, weights);
  if (description != nullptr) {
    *description =
        path + " (" + weights.format + ", " + weights.preprocessing.name + " preprocessing)";
  }
  return model;
}

}  // namespace nst
