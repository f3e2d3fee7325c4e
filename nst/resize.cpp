#include "nst/resize.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "tensor/error.h"
#include "tensor/threads.h"

namespace nst {
namespace {

double lanczos3(double x) {
  x = std::abs(x);
  if (x < 1e-12) return 1.0;
  if (x >= 3.0) return 0.0;
  const double px = std::numbers::pi * x;
  return 3.0 * std::sin(px) * std::sin(px / 3.0) / (px * px);
}

// For each output index along one axis: the first input index and the normalised weights.
struct Taps {
  int first;
  std::vector<float> weights;
};

std::vector<Taps> taps_for(int in, int out) {
  const double scale = static_cast<double>(out) / in;
  const double stretch = std::min(scale, 1.0);  // < 1 widens the filter when shrinking
  const double support = 3.0 / stretch;
  std::vector<Taps> taps(out);
  for (int o = 0; o < out; ++o) {
    const double center = (o + 0.5) / scale;  // pixel centres line up, as in Pillow
    const int first = std::max(0, static_cast<int>(std::floor(center - support)));
    const int last = std::min(in - 1, static_cast<int>(std::ceil(center + support)));
    double total = 0.0;
    std::vector<double> w;
    for (int i = first; i <= last; ++i) {
      w.push_back(lanczos3((i + 0.5 - center) * stretch));
      total += w.back();
    }
    taps[o].first = first;
    for (double v : w) taps[o].weights.push_back(static_cast<float>(v / total));
  }
  return taps;
}

// Lanczos-3 in two separable passes: [C, H, W_in] -> [C, H, W_out] -> [C, H_out, W_out].
Tensor resample(const Tensor& image, ImageSize size, bool clamp_to_unit) {
  NST_CHECK(image.shape().rank() == 4 && image.dim(0) == 1, "resampling needs [1, C, H, W], got ",
            image.shape().to_string());
  const int channels = static_cast<int>(image.dim(1));
  const ImageSize from{static_cast<int>(image.dim(3)), static_cast<int>(image.dim(2))};
  NST_CHECK(size.width > 0 && size.height > 0, "cannot resize to ", size.width, "x", size.height);
  if (from.width == size.width && from.height == size.height) return image;
  const std::vector<Taps> across = taps_for(from.width, size.width);
  const std::vector<Taps> down = taps_for(from.height, size.height);

  const int rows = channels * from.height;
  std::vector<float> wide(static_cast<std::size_t>(rows) * size.width);
#pragma omp parallel for num_threads(num_threads()) schedule(static)
  for (int r = 0; r < rows; ++r) {
    const float* in = image.data() + static_cast<int64_t>(r) * from.width;
    float* out = wide.data() + static_cast<int64_t>(r) * size.width;
    for (int x = 0; x < size.width; ++x) {
      float v = 0.0f;
      const Taps& t = across[x];
      for (std::size_t k = 0; k < t.weights.size(); ++k)
        v += t.weights[k] * in[t.first + static_cast<int>(k)];
      out[x] = v;
    }
  }
  Tensor result(Shape{1, channels, size.height, size.width});
#pragma omp parallel for num_threads(num_threads()) schedule(static)
  for (int r = 0; r < channels * size.height; ++r) {
    const int c = r / size.height, y = r % size.height;
    const Taps& t = down[y];
    float* out = result.data() + static_cast<int64_t>(r) * size.width;
    std::fill_n(out, size.width, 0.0f);
    for (std::size_t k = 0; k < t.weights.size(); ++k) {
      const float* in =
          wide.data() +
          (static_cast<int64_t>(c) * from.height + t.first + static_cast<int>(k)) * size.width;
      for (int x = 0; x < size.width; ++x) out[x] += t.weights[k] * in[x];
    }
    if (clamp_to_unit) {
      for (int x = 0; x < size.width; ++x) out[x] = std::clamp(out[x], 0.0f, 1.0f);
    }
  }
  return result;
}

}  // namespace

ImageSize fit_longest_side(ImageSize size, int longest) {
  NST_CHECK(size.width > 0 && size.height > 0 && longest > 0, "cannot fit a ", size.width, "x",
            size.height, " image to a longest side of ", longest);
  const double factor = static_cast<double>(longest) / std::max(size.width, size.height);
  return {std::max(1, static_cast<int>(std::lround(size.width * factor))),
          std::max(1, static_cast<int>(std::lround(size.height * factor)))};
}

Tensor resize_image(const Tensor& image, ImageSize size) {
  image_size(image);  // three channels
  return resample(image, size, /*clamp_to_unit=*/true);
}

Tensor shrink_to_fit(const Tensor& image, int longest) {
  const ImageSize size = image_size(image);
  if (std::max(size.width, size.height) <= longest) return image;
  return resize_image(image, fit_longest_side(size, longest));
}

Tensor resize_values(const Tensor& values, ImageSize size) {
  return resample(values, size, /*clamp_to_unit=*/false);
}

}  // namespace nst
