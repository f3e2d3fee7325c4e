#include "serve/estimate.h"

#include <algorithm>
#include <charconv>

#include "nst/run_pace.h"
#include "serve/request_text.h"
#include "tensor/error.h"

namespace nst::serve {

MeasuredSpeed recent_speed(const std::vector<JobRecord>& records, int count) {
  std::vector<const JobRecord*> measured;
  for (const JobRecord& r : records) {
    if (r.state == JobState::done && r.speed > 0) measured.push_back(&r);
  }
  const auto latest = [](const JobRecord* a, const JobRecord* b) {
    return a->finished > b->finished;
  };
  std::sort(measured.begin(), measured.end(), latest);
  measured.resize(std::min<std::size_t>(measured.size(), static_cast<std::size_t>(count)));
  if (measured.empty()) return {};
  std::vector<double> speeds;
  for (const JobRecord* r : measured) speeds.push_back(r->speed);
  std::sort(speeds.begin(), speeds.end());
  const std::size_t n = speeds.size();
  const double median = n % 2 ? speeds[n / 2] : (speeds[n / 2 - 1] + speeds[n / 2]) / 2;
  return {median, static_cast<int>(n)};
}

ImageSize parse_picture_size(const std::string& text, const std::string& role, int64_t max_pixels) {
  const auto side = [&](std::string_view digits) {
    int value = 0;
    const char* end = digits.data() + digits.size();
    const auto [at, error] = std::from_chars(digits.data(), end, value);
    if (digits.empty() || error != std::errc() || at != end || value < 1 || value > 65535) {
      fail(role, ": the size '", excerpt(text), "' is not WIDTHxHEIGHT in pixels (1 to 65535)");
    }
    return value;
  };
  const std::size_t x = text.find('x');
  if (x == std::string::npos) fail(role, ": the size '", excerpt(text), "' is not WIDTHxHEIGHT");
  const ImageSize size{side(std::string_view(text).substr(0, x)),
                       side(std::string_view(text).substr(x + 1))};
  const int64_t pixels = int64_t{size.width} * size.height;
  if (pixels > max_pixels) {
    fail(role, ": ", to_string(size), " is ", pixels, " pixels, over this server's ", max_pixels);
  }
  return size;
}

nlohmann::json estimate_json(const JobPlan& plan, const JobSettings& settings,
                             const MeasuredSpeed& speed) {
  nlohmann::json scales = nlohmann::json::array();
  double pixel_iterations = 0;
  for (const ScalePlan& scale : plan.scales) {
    scales.push_back({{"width", scale.content.width},
                      {"height", scale.content.height},
                      {"iterations", scale.iterations}});
    pixel_iterations += scale.iterations * iteration_cost(scale.content);
  }
  const bool measured = speed.pixel_iterations_per_second > 0;
  return {
      {"scales", scales},
      {"iterations", plan.total_iterations()},
      {"memory", plan.memory.total()},
      {"may_end_sooner", settings.tolerance > 0},
      {"seconds", measured ? nlohmann::json(pixel_iterations / speed.pixel_iterations_per_second)
                           : nlohmann::json()},
      {"speed",
       {{"pixel_iterations_per_second", speed.pixel_iterations_per_second}, {"jobs", speed.jobs}}}};
}

}  // namespace nst::serve
