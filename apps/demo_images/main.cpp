// Paints the demo's two pictures from nothing but arithmetic, so the project ships no images
// made by others:
//   content.png  a landscape: sky, sun, three mountain ridges, a lake with reflections, a house
//   style.png    a swirling night sky of bold brush strokes, in the spirit of an expressionist
//                painting
// usage: nst_demo_images OUTPUT_FOLDER
#include <algorithm>
#include <cmath>
#include <iostream>
#include <string>

#include "nst/image.h"
#include "tensor/error.h"

namespace {

using nst::Tensor;

struct Rgb {
  double r, g, b;
};

Rgb mix(Rgb a, Rgb b, double t) {
  t = std::clamp(t, 0.0, 1.0);
  return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}

template <class Paint>
Tensor paint(int width, int height, Paint colour_at) {
  Tensor image(nst::Shape{1, 3, height, width});
  const int64_t plane = static_cast<int64_t>(width) * height;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const Rgb c = colour_at(static_cast<double>(x) / width, static_cast<double>(y) / height);
      const int64_t i = static_cast<int64_t>(y) * width + x;
      image.data()[i] = static_cast<float>(std::clamp(c.r, 0.0, 1.0));
      image.data()[plane + i] = static_cast<float>(std::clamp(c.g, 0.0, 1.0));
      image.data()[2 * plane + i] = static_cast<float>(std::clamp(c.b, 0.0, 1.0));
    }
  }
  return image;
}

// u, v in [0, 1): across and down.
Rgb landscape(double u, double v) {
  const double horizon = 0.62;
  auto ridge = [](double x, double base, double amp, double freq, double phase) {
    return base -
           amp * (0.6 * std::sin(freq * x + phase) + 0.4 * std::sin(2.7 * freq * x + 1.3 * phase));
  };
  auto scene_above_water = [&](double x, double y) -> Rgb {
    // House: walls and a roof, on the near shore.
    if (x > 0.70 && x < 0.80 && y > 0.53 && y < horizon) return {0.75, 0.18, 0.12};
    if (y > 0.46 && y <= 0.53 && std::abs(x - 0.75) < (y - 0.46) * 1.0 + 0.005)
      return {0.35, 0.2, 0.15};
    if (x > 0.735 && x < 0.755 && y > 0.575 && y < horizon) return {0.25, 0.15, 0.1};  // door
    const Rgb ridges[3] = {{0.55, 0.6, 0.7}, {0.3, 0.45, 0.35}, {0.18, 0.35, 0.2}};
    const double tops[3] = {ridge(x, 0.42, 0.08, 9.0, 0.3), ridge(x, 0.5, 0.06, 13.0, 2.1),
                            ridge(x, 0.57, 0.035, 21.0, 4.0)};
    for (int k = 2; k >= 0; --k) {
      if (y > tops[k]) return mix(ridges[k], {0.1, 0.15, 0.1}, (y - tops[k]) * 3);
    }
    const double sun = std::hypot(x - 0.25, (y - 0.2) * 0.75);
    if (sun < 0.06) return {1.0, 0.92, 0.55};
    const Rgb sky = mix({0.35, 0.55, 0.9}, {0.95, 0.85, 0.75}, y / horizon);
    return mix({1.0, 0.85, 0.5}, sky, sun * 6);  // glow around the sun
  };
  if (v < horizon) return scene_above_water(u, v);
  // Lake: the mirrored scene, darker and rippled.
  const double depth = v - horizon;
  const double ripple = 0.004 * std::sin(v * 260.0) + 0.002 * std::sin(u * 90.0 + v * 40.0);
  const Rgb mirrored = scene_above_water(u + ripple, horizon - depth * 1.1);
  return mix(mix(mirrored, {0.1, 0.25, 0.45}, 0.35), {0.05, 0.1, 0.25}, depth * 2.5);
}

Rgb swirling_sky(double u, double v) {
  // A flow field of whirls; brush strokes follow it, as bands of a periodic function of a
  // stream value, with the palette of a night sky.
  const double whirls[3][3] = {{0.3, 0.35, 1.0}, {0.7, 0.25, -0.8}, {0.55, 0.7, 0.9}};
  double stream = 0.0;
  for (const auto& w : whirls) {
    const double d = std::hypot(u - w[0], v - w[1]);
    // A point vortex's stream function (continuous, unlike an angle) plus a gentle bowl.
    stream += 0.35 * w[2] * std::log(d + 0.03) + 1.5 * d * d;
  }
  const double strokes = 0.5 + 0.5 * std::sin(stream * 25.0 + std::sin(u * 30.0) * 0.8);
  const double fine = 0.5 + 0.5 * std::sin(stream * 90.0 + v * 20.0);
  const Rgb deep{0.05, 0.12, 0.38}, blue{0.18, 0.38, 0.75}, pale{0.55, 0.75, 0.9},
      gold{0.98, 0.82, 0.25};
  Rgb c = mix(deep, blue, strokes);
  c = mix(c, pale, std::pow(fine, 6.0) * 0.6);
  for (const auto& w : whirls) {  // glowing stars at the whirls' centres
    const double d = std::hypot(u - w[0], v - w[1]);
    c = mix(c, gold, std::exp(-d * d * 600.0) + 0.35 * std::pow(fine, 3.0) * std::exp(-d * 12.0));
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: nst_demo_images OUTPUT_FOLDER\n";
    return 2;
  }
  try {
    const std::string folder = argv[1];
    nst::write_image(folder + "/content.png", paint(640, 480, landscape));
    nst::write_image(folder + "/style.png", paint(512, 512, swirling_sky));
    std::cout << folder << "/content.png\n" << folder << "/style.png\n";
  } catch (const nst::Error& e) {
    std::cerr << "nst_demo_images: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
