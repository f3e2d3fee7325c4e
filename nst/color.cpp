#include "nst/color.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "nst/image.h"
#include "tensor/error.h"

namespace nst {
namespace {

using Matrix3 = std::array<std::array<double, 3>, 3>;
using Vector3 = std::array<double, 3>;

constexpr Matrix3 kRgbToYiq = {
    {{0.299, 0.587, 0.114}, {0.596, -0.274, -0.322}, {0.211, -0.523, 0.312}}};

Matrix3 multiply(const Matrix3& a, const Matrix3& b) {
  Matrix3 c{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) c[i][j] += a[i][k] * b[k][j];
  return c;
}

Matrix3 inverse(const Matrix3& m) {
  const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                     m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                     m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  Matrix3 inv{};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      // cofactor of (j, i), over the determinant
      const int r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3;
      inv[i][j] = (m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]) / det;
    }
  }
  return inv;
}

// Each pixel x (RGB) becomes m x + offset.
Tensor map_pixels(const Tensor& image, const Matrix3& m, const Vector3& offset) {
  const ImageSize size = image_size(image);
  const int64_t n = int64_t{size.width} * size.height;
  Tensor out(image.shape());
  const float* in = image.data();
  float* o = out.data();
  for (int64_t p = 0; p < n; ++p) {
    const double x[3] = {in[p], in[n + p], in[2 * n + p]};
    for (int i = 0; i < 3; ++i)
      o[i * n + p] =
          static_cast<float>(m[i][0] * x[0] + m[i][1] * x[1] + m[i][2] * x[2] + offset[i]);
  }
  return out;
}

struct ColorStatistics {
  Vector3 mean{};
  Matrix3 covariance{};
};

ColorStatistics statistics_of(const Tensor& image) {
  const ImageSize size = image_size(image);
  const int64_t n = int64_t{size.width} * size.height;
  const float* in = image.data();
  ColorStatistics s;
  for (int i = 0; i < 3; ++i) {
    double total = 0.0;
    for (int64_t p = 0; p < n; ++p) total += in[i * n + p];
    s.mean[i] = total / static_cast<double>(n);
  }
  for (int i = 0; i < 3; ++i) {
    for (int j = i; j < 3; ++j) {
      double total = 0.0;
      for (int64_t p = 0; p < n; ++p)
        total += (in[i * n + p] - s.mean[i]) * (in[j * n + p] - s.mean[j]);
      s.covariance[i][j] = s.covariance[j][i] = total / static_cast<double>(n);
    }
  }
  return s;
}

// Eigen-decomposition of a symmetric 3x3 matrix by cyclic Jacobi rotations: m = V diag(w) V^T,
// eigenvectors in V's columns. A handful of sweeps reach double precision.
void symmetric_eigen(Matrix3 m, Vector3& w, Matrix3& v) {
  v = Matrix3{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  for (int sweep = 0; sweep < 50; ++sweep) {
    const double off = m[0][1] * m[0][1] + m[0][2] * m[0][2] + m[1][2] * m[1][2];
    if (off < 1e-30) break;
    for (int p = 0; p < 2; ++p) {
      for (int q = p + 1; q < 3; ++q) {
        if (m[p][q] == 0.0) continue;
        // The rotation in the (p, q) plane that zeroes m[p][q].
        const double theta = (m[q][q] - m[p][p]) / (2.0 * m[p][q]);
        const double t =
            (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1.0 / std::sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < 3; ++k) {  // m = J^T m J
          const double mkp = m[k][p], mkq = m[k][q];
          m[k][p] = c * mkp - s * mkq;
          m[k][q] = s * mkp + c * mkq;
        }
        for (int k = 0; k < 3; ++k) {
          const double mpk = m[p][k], mqk = m[q][k];
          m[p][k] = c * mpk - s * mqk;
          m[q][k] = s * mpk + c * mqk;
        }
        for (int k = 0; k < 3; ++k) {
          const double vkp = v[k][p], vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  for (int i = 0; i < 3; ++i) w[i] = m[i][i];
}

// f(m) = V diag(f(w)) V^T for a symmetric positive definite m.
template <class F>
Matrix3 matrix_function(const Matrix3& m, F f) {
  Vector3 w;
  Matrix3 v;
  symmetric_eigen(m, w, v);
  Matrix3 out{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) out[i][j] += v[i][k] * f(w[k]) * v[j][k];
  return out;
}

Matrix3 regularised(Matrix3 covariance) {
  for (int i = 0; i < 3; ++i) covariance[i][i] += 1e-10;
  return covariance;
}

}  // namespace

Tensor rgb_to_yiq(const Tensor& rgb) { return map_pixels(rgb, kRgbToYiq, {}); }

Tensor yiq_to_rgb(const Tensor& yiq) { return map_pixels(yiq, inverse(kRgbToYiq), {}); }

Tensor luminance_image(const Tensor& rgb) {
  const Matrix3 luma = {{kRgbToYiq[0], kRgbToYiq[0], kRgbToYiq[0]}};
  return map_pixels(rgb, luma, {});
}

Tensor match_luminance(const Tensor& grey, const Tensor& reference) {
  const ColorStatistics g = statistics_of(grey), r = statistics_of(reference);
  // Channel 0 stands for all three: both are grey.
  const double g_std = std::sqrt(g.covariance[0][0]), r_std = std::sqrt(r.covariance[0][0]);
  const double gain = g_std > 1e-12 ? r_std / g_std : 0.0;
  const Matrix3 m = {{{gain, 0, 0}, {0, gain, 0}, {0, 0, gain}}};
  const double shift = r.mean[0] - gain * g.mean[0];
  return map_pixels(grey, m, {shift, shift, shift});
}

Tensor combine_luminance(const Tensor& result, const Tensor& content) {
  NST_CHECK(result.shape() == content.shape(), "combine_luminance: result ", result.shape(),
            " and content ", content.shape(), " differ in size");
  const Tensor y = rgb_to_yiq(result);
  Tensor yiq = rgb_to_yiq(content);
  const int64_t n = yiq.numel() / 3;
  std::copy_n(y.data(), n, yiq.data());  // Y from the result, I and Q from the content
  Tensor rgb = yiq_to_rgb(yiq);
  for (float& v : rgb.values()) v = std::fmin(1.0f, std::fmax(0.0f, v));
  return rgb;
}

Tensor match_colors(const Tensor& style, const Tensor& content) {
  const ColorStatistics s = statistics_of(style), c = statistics_of(content);
  const Matrix3 sigma_s = regularised(s.covariance), sigma_c = regularised(c.covariance);
  const Matrix3 s_half = matrix_function(sigma_s, [](double w) { return std::sqrt(w); });
  const Matrix3 s_minus_half =
      matrix_function(sigma_s, [](double w) { return 1.0 / std::sqrt(w); });
  const Matrix3 middle = matrix_function(multiply(multiply(s_half, sigma_c), s_half),
                                         [](double w) { return std::sqrt(std::fmax(w, 0.0)); });
  const Matrix3 a = multiply(multiply(s_minus_half, middle), s_minus_half);
  Vector3 offset{};
  for (int i = 0; i < 3; ++i)
    offset[i] = c.mean[i] - (a[i][0] * s.mean[0] + a[i][1] * s.mean[1] + a[i][2] * s.mean[2]);
  return map_pixels(style, a, offset);
}

}  // namespace nst
