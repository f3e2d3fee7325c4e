// Coarse to fine against a single scale: how much sooner does a multi-scale run reach the loss
// a single-scale run ends with?
//
// 1. The standard recipe: a single-scale run at --size for --iterations with PyTorch's Adam
//    (betas 0.9, 0.999) and a step of 0.02, the defaults before they were tuned for time to E*
//    (README, "Adam's step"); E* is the full-resolution loss of its final image, T1 its wall
//    time (targets included).
// 2. For each configuration [OPTIMIZER:]SCALES:COARSE_ITERATIONS (adam or lbfgs; adam if not
//    named), a run stopped as soon as a full-resolution iteration's loss is at most E* (the
//    first one at the last scale is the loss of the upscaled image, so no separate evaluation
//    is needed); T is the wall time to that point, and T / T1 is the figure.
//    With --converged, each configuration instead runs as a user's job does, until its
//    stopping rule (--tolerance, default the job's) or --iterations ends it; the table then
//    gives its final full-resolution loss over E* (at most 1: it reached E*) and T / T1.
//    --learning-rate and --adam-beta2 change Adam's for the configurations, never for the
//    reference.
// Both runs use the same job settings otherwise (the defaults), the same weights and images.
//
//   build/bin/bench_scales [--content C --style S] [--size 512] [--iterations 500]
//                          [--configs 2:50,3:50,2:100,lbfgs:1:0] [--weights random:0|FILE]
//                          [--converged [--tolerance F]] [--learning-rate R]
//                          [--adam-beta2 B] [--curve]
//                          [--target E*,T1]   (skips step 1, for exploring)
// Without pictures it paints synthetic ones. bench/scales.sh builds and runs it.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cxxopts.hpp>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "nst/job.h"
#include "tensor/blas_runtime.h"
#include "tensor/threads.h"
#include "weights/locate.h"

namespace {

using Clock = std::chrono::steady_clock;

// The standard recipe's step on the [0, 1] image (the default before issue 21).
constexpr double kStandardLearningRate = 0.02;

// A photo-like content: a smooth sky-to-ground gradient with a few solid shapes.
nst::Tensor synthetic_content(int width, int height) {
  nst::Tensor t(nst::Shape{1, 3, height, width});
  float* p = t.data();
  const int64_t plane = int64_t{width} * height;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const float v = static_cast<float>(y) / static_cast<float>(height),
                  u = static_cast<float>(x) / static_cast<float>(width);
      float rgb[3] = {0.3f + 0.4f * v, 0.5f + 0.2f * u, 0.9f - 0.6f * v};
      const float dx = u - 0.35f, dy = v - 0.45f;
      if (dx * dx + dy * dy < 0.03f) rgb[0] = 0.9f, rgb[1] = 0.7f, rgb[2] = 0.2f;  // a sun
      if (u > 0.55f && u < 0.85f && v > 0.5f && v < 0.9f)
        rgb[0] = 0.2f, rgb[1] = 0.25f, rgb[2] = 0.3f;
      for (int c = 0; c < 3; ++c) p[c * plane + int64_t{y} * width + x] = rgb[c];
    }
  }
  return t;
}

// A painting-like style: coloured swirls of several frequencies.
nst::Tensor synthetic_style(int width, int height) {
  nst::Tensor t(nst::Shape{1, 3, height, width});
  float* p = t.data();
  const int64_t plane = int64_t{width} * height;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const double u = 12.0 * x / width, v = 12.0 * y / height;
      const double a = std::sin(u + 2 * std::sin(v)), b = std::cos(3 * v - std::sin(2 * u)),
                   c = std::sin(5 * (u + v));
      const double rgb[3] = {0.5 + 0.4 * a, 0.45 + 0.3 * b * a, 0.5 + 0.35 * c};
      for (int k = 0; k < 3; ++k)
        p[k * plane + int64_t{y} * width + x] = static_cast<float>(std::clamp(rgb[k], 0.0, 1.0));
    }
  }
  return t;
}

// Records every iteration's time and loss; stops once the last scale reaches `target`.
class Recorder : public nst::JobObserver {
 public:
  Recorder(int scales, double target) : scales_(scales), target_(target) {}
  void on_iteration(const nst::IterationLosses& l, const nst::Tensor&) override {
    const double t = std::chrono::duration<double>(Clock::now() - start).count();
    if (l.scale == scales_ && l.total <= target_ && reached < 0) {
      reached = t;
      reached_iteration = l.iteration;
    }
    last_loss = l.total;
    if (curve && (l.iteration % 25 == 0 || l.scale != scale_))
      std::printf("  %d s%d %.6g c %.4g s %.4g %.1f\n", l.iteration, l.scale, l.total, l.content,
                  l.style, t);
    if (l.scale != scale_) {
      scale_ = l.scale;
      scale_starts.push_back(t);
    }
  }
  bool stop_requested() override { return stop_at_target && reached >= 0; }
  Clock::time_point start = Clock::now();
  double reached = -1, last_loss = 0;
  int reached_iteration = 0;
  std::vector<double> scale_starts;
  bool curve = false;  // print the losses every 25 iterations and at each new scale
  bool stop_at_target = true;

 private:
  int scales_, scale_ = 0;
  double target_;
};

}  // namespace

int run(int argc, char** argv) {
  cxxopts::Options options("bench_scales", "multi-scale runs against a single-scale one");
  options.add_options()("content", "content picture", cxxopts::value<std::string>())(
      "style", "style picture", cxxopts::value<std::string>())(
      "size", "output size", cxxopts::value<std::string>()->default_value("512"))(
      "iterations", "single-scale iterations", cxxopts::value<std::string>()->default_value("500"))(
      "configs", "SCALES:COARSE_ITERATIONS,...",
      cxxopts::value<std::string>()->default_value("2:50,3:50,2:100"))(
      "weights", "weights", cxxopts::value<std::string>()->default_value("random:0"))(
      "curve", "print the losses every 25 iterations and at each new scale")(
      "target", "E*,T1 (seconds) from an earlier run: skip the single-scale run",
      cxxopts::value<std::string>())(
      "converged", "run each configuration until its stopping rule ends it, not to E*")(
      "learning-rate", "Adam's step in the configurations (default: the job's)",
      cxxopts::value<std::string>())("adam-beta2",
                                     "Adam's beta2 in the configurations (default: the job's)",
                                     cxxopts::value<std::string>())(
      "tolerance", "the stopping rule's tolerance with --converged (default: the job's)",
      cxxopts::value<std::string>());
  const auto args = options.parse(argc, argv);

  nst::Job job;
  const int size = std::stoi(args["size"].as<std::string>());
  if (args.count("content") && args.count("style")) {
    job.content = nst::ImageSource::file(args["content"].as<std::string>());
    job.styles = {nst::ImageSource::file(args["style"].as<std::string>())};
  } else {
    job.content =
        nst::ImageSource::image(synthetic_content(size, size * 3 / 4), "synthetic content");
    job.styles = {nst::ImageSource::image(synthetic_style(size, size), "synthetic style")};
  }
  job.settings.size = size;
  job.settings.iterations = std::stoi(args["iterations"].as<std::string>());
  // Every iteration (no --tolerance): E* is the loss after all of the reference run's, and the
  // configurations run until they reach it.
  job.settings.tolerance = 0;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      std::cout << "CPU: " << line.substr(line.find(':') + 2) << ", " << nst::num_threads()
                << " threads\n";
      break;
    }
  }
  std::string description;
  auto model = nst::load_vgg19_model(args["weights"].as<std::string>(), job.settings.pooling,
                                     std::cerr, &description);
  std::cout << "weights: " << description << "; content " << job.content.name << ", style "
            << job.styles[0].name << "\n";

  // 1. The single-scale reference, with the standard recipe's Adam.
  const nst::JobSettings defaults;
  job.settings.scales = 1;
  job.settings.learning_rate = kStandardLearningRate;
  job.settings.adam_beta2 = nst::nn::AdamOptions{}.beta2;
  double target = 0, t1 = 0;
  if (args.count("target")) {
    const std::string given = args["target"].as<std::string>();
    target = std::stod(given);
    t1 = std::stod(given.substr(given.find(',') + 1));
  } else {
    const nst::PreparedJob single = nst::prepare(job);
    Recorder reference(1, -1.0);
    reference.curve = args.count("curve") > 0;
    const nst::JobResult result = nst::run_job(single, *model, &reference);
    t1 = std::chrono::duration<double>(Clock::now() - reference.start).count();
    nst::StyleObjective objective(*model, single.final_scale().content, single.final_scale().styles,
                                  single.settings);
    nst::Var final_image(result.image.clone(), true);
    target = objective.evaluate(final_image).total;
    const nst::ImageSize at = nst::image_size(single.final_scale().content);
    std::fflush(stdout);
    std::printf("single scale %dx%d, %d iterations: %.1f s; final loss E* = %.6g\n", at.width,
                at.height, job.settings.iterations, t1, target);
  }

  // 2. Each configuration, until it reaches E* or (--converged) until its rule stops it.
  const bool converged = args.count("converged") > 0;
  job.settings.learning_rate = args.count("learning-rate")
                                   ? std::stod(args["learning-rate"].as<std::string>())
                                   : defaults.learning_rate;
  job.settings.adam_beta2 = args.count("adam-beta2")
                                ? std::stod(args["adam-beta2"].as<std::string>())
                                : defaults.adam_beta2;
  std::printf("%-8s %-8s %-8s %-20s %10s %10s %8s%s\n", "optim", "scales", "coarse", "sizes",
              "T (s)", "iteration", "T/T1", converged ? "   E/E*" : "");
  std::string configs = args["configs"].as<std::string>();
  for (std::size_t begin = 0; begin < configs.size();) {
    std::size_t end = configs.find(',', begin);
    if (end == std::string::npos) end = configs.size();
    std::string config = configs.substr(begin, end - begin);
    begin = end + 1;
    job.settings.optimizer = nst::OptimizerKind::adam;
    if (const auto named = nst::parse_optimizer(config.substr(0, config.find(':')))) {
      job.settings.optimizer = *named;
      config = config.substr(config.find(':') + 1);
    }
    const std::string optimizer(nst::optimizer_name(job.settings.optimizer));
    const std::size_t colon = config.find(':');
    job.settings.scales = std::stoi(config.substr(0, colon));
    job.settings.coarse_iterations = std::stoi(config.substr(colon + 1));
    job.settings.tolerance =
        converged ? (args.count("tolerance") ? std::stod(args["tolerance"].as<std::string>())
                                             : defaults.tolerance)
                  : 0;
    nst::PreparedJob multi;
    try {
      multi = nst::prepare(job);
    } catch (const nst::Error& e) {  // e.g. a coarsest scale too small for VGG19
      std::printf("%-8s %-8s %-8d skipped: %s\n", optimizer.c_str(),
                  config.substr(0, colon).c_str(), job.settings.coarse_iterations, e.what());
      continue;
    }
    std::string sizes;
    for (const nst::PreparedScale& s : multi.scales)
      sizes.append(sizes.empty() ? "" : ",")
          .append(std::to_string(nst::image_size(s.content).width));
    Recorder recorder(static_cast<int>(multi.scales.size()), target);
    recorder.curve = args.count("curve") > 0;
    recorder.stop_at_target = !converged;
    const nst::JobResult result = nst::run_job(multi, *model, &recorder);
    const double elapsed = std::chrono::duration<double>(Clock::now() - recorder.start).count();
    if (converged) {
      // The final image's loss, as E* was measured: the last iteration's loss is the one
      // before its step.
      nst::StyleObjective objective(*model, multi.final_scale().content, multi.final_scale().styles,
                                    multi.settings);
      nst::Var final_image(result.image.clone(), true);
      const double final_loss = objective.evaluate(final_image).total;
      std::printf("%-8s %-8zu %-8d %-20s %10.1f %10d %8.2f %8.3f  (%s)\n", optimizer.c_str(),
                  multi.scales.size(), job.settings.coarse_iterations, sizes.c_str(), elapsed,
                  result.iterations, elapsed / t1, final_loss / target, result.ending.c_str());
    } else if (recorder.reached >= 0) {
      std::printf("%-8s %-8zu %-8d %-20s %10.1f %10d %8.2f\n", optimizer.c_str(),
                  multi.scales.size(), job.settings.coarse_iterations, sizes.c_str(),
                  recorder.reached, recorder.reached_iteration, recorder.reached / t1);
    } else {
      std::printf("%-8s %-8zu %-8d %-20s %10s %10s %8s  (final loss %.6g)\n", optimizer.c_str(),
                  multi.scales.size(), job.settings.coarse_iterations, sizes.c_str(), "-",
                  "not reached", "-", recorder.last_loss);
    }
    std::fflush(stdout);
  }
  return 0;
}

int main(int argc, char** argv) {
  nst::use_best_blas_kernels(argv);
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {  // unreadable pictures, bad options
    std::fprintf(stderr, "bench_scales: %s\n", e.what());
    return 1;
  }
}
