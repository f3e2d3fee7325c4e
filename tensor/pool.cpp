#include "tensor/pool.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include "tensor/error.h"
#include "tensor/threads.h"

namespace nst {

void PoolGeometry::validate() const {
  NST_CHECK(planes > 0 && height > 0 && width > 0, "pooling input must be non-empty, got ", planes,
            " planes of ", height, "x", width);
  NST_CHECK(kernel > 0 && stride > 0, "bad pooling parameters: kernel=", kernel,
            " stride=", stride);
  NST_CHECK(padding >= 0 && 2 * padding <= kernel, "pooling padding ", padding,
            " must be at most half the kernel size ", kernel);
  NST_CHECK(height + 2 * padding >= kernel && width + 2 * padding >= kernel, "a ", kernel, "x",
            kernel, " pooling window does not fit a ", height, "x", width, " input");
}

namespace {

// Calls visit(plane_in, plane_out_index, y_begin, y_end, x_begin, x_end) for every output
// pixel, with the window clipped to the image (the padding contributes nothing to visit).
template <class Visit>
void for_each_window(const PoolGeometry& g, Visit visit) {
  g.validate();
  const int ho = g.out_height(), wo = g.out_width();
#pragma omp parallel for num_threads(num_threads()) \
    schedule(static) if (static_cast <int64_t>(g.planes) * ho * wo > 16384)
  for (int plane = 0; plane < g.planes; ++plane) {
    const int64_t in_offset = static_cast<int64_t>(plane) * g.height * g.width;
    const int64_t out_offset = static_cast<int64_t>(plane) * ho * wo;
    for (int oy = 0; oy < ho; ++oy) {
      const int y0 = oy * g.stride - g.padding;
      const int y_begin = y0 < 0 ? 0 : y0;
      const int y_end = y0 + g.kernel > g.height ? g.height : y0 + g.kernel;
      for (int ox = 0; ox < wo; ++ox) {
        const int x0 = ox * g.stride - g.padding;
        const int x_begin = x0 < 0 ? 0 : x0;
        const int x_end = x0 + g.kernel > g.width ? g.width : x0 + g.kernel;
        visit(in_offset, out_offset + static_cast<int64_t>(oy) * wo + ox, y_begin, y_end, x_begin,
              x_end);
      }
    }
  }
}

// Index (within the whole input) of the first maximum of a window; NaN wins, as in PyTorch.
int64_t argmax_in_window(const float* in, const PoolGeometry& g, int64_t offset, int y_begin,
                         int y_end, int x_begin, int x_end) {
  int64_t best = -1;
  float best_value = -std::numeric_limits<float>::infinity();
  for (int y = y_begin; y < y_end; ++y) {
    for (int x = x_begin; x < x_end; ++x) {
      const int64_t i = offset + static_cast<int64_t>(y) * g.width + x;
      if (best < 0 || in[i] > best_value || std::isnan(in[i])) {
        best = i;
        best_value = in[i];
        if (std::isnan(best_value)) return best;
      }
    }
  }
  return best;
}

// VGG's pools are 2x2, stride 2, no padding: windows are disjoint and always whole, so each
// output reads four known inputs. Same tie and NaN rules as argmax_in_window() above.
bool is_2x2_stride_2(const PoolGeometry& g) {
  return g.kernel == 2 && g.stride == 2 && g.padding == 0;
}

// Calls visit(first_output, first_input_of_top_row, outputs) for every row of 2x2 windows, in
// parallel over planes: the row's outputs are first_output + ox, their windows' top-left
// inputs first_input_of_top_row + 2 ox.
template <class Visit>
void for_each_2x2_row(const PoolGeometry& g, Visit visit) {
  g.validate();
  const int ho = g.out_height(), wo = g.out_width();
#pragma omp parallel for num_threads(num_threads()) \
    schedule(static) if (static_cast <int64_t>(g.planes) * ho * wo > 16384)
  for (int plane = 0; plane < g.planes; ++plane) {
    for (int oy = 0; oy < ho; ++oy) {
      visit((static_cast<int64_t>(plane) * ho + oy) * wo,
            (static_cast<int64_t>(plane) * g.height + 2 * oy) * g.width, wo);
    }
  }
}

// The input at `position` of the 2x2 window whose top-left input is i.
inline int64_t input_2x2(int64_t i, int width, int position) {
  return i + (position >> 1) * static_cast<int64_t>(width) + (position & 1);
}

void check_argmax_fits(const PoolGeometry& g) {
  NST_CHECK(g.kernel <= 16, "max pooling records each window's maximum in a byte: kernel ",
            g.kernel, " is above 16");
}

}  // namespace

void max_pool2d_forward(const float* in, const PoolGeometry& g, float* out, uint8_t* argmax) {
  if (!is_2x2_stride_2(g)) return max_pool2d_forward_reference(in, g, out, argmax);
  // Row by row with selects instead of branches, so that the compiler vectorises the windows.
  // The rule of the reference: the first maximum in reading order wins, and NaN wins over
  // numbers (as in PyTorch). argmax gets its position, row * 2 + column.
  for_each_2x2_row(g, [&](int64_t o, int64_t i, int wo) {
    // Local pointers: through the captured references the compiler could not vectorise.
    const float* top = in + i;
    const float* bottom = top + g.width;
    float* out_row = out + o;
    uint8_t* argmax_row = argmax != nullptr ? argmax + o : nullptr;
    for (int ox = 0; ox < wo; ++ox) {
      const float window[4] = {top[2 * ox], top[2 * ox + 1], bottom[2 * ox], bottom[2 * ox + 1]};
      float best = window[0];
      int position = 0;
      for (int p = 1; p < 4; ++p) {
        const float v = window[p];
        const bool wins = v > best || (v != v && best == best);
        best = wins ? v : best;
        position = wins ? p : position;
      }
      out_row[ox] = best;
      if (argmax_row != nullptr) argmax_row[ox] = static_cast<uint8_t>(position);
    }
  });
}

void max_pool2d_backward(const uint8_t* argmax, const float* dout, const PoolGeometry& g,
                         float* din) {
  if (!is_2x2_stride_2(g)) return max_pool2d_backward_reference(argmax, dout, g, din);
  for_each_2x2_row(g, [&](int64_t o, int64_t i, int wo) {
    for (int ox = 0; ox < wo; ++ox)
      din[input_2x2(i + 2 * ox, g.width, argmax[o + ox])] += dout[o + ox];
  });
}

void max_pool2d_forward_reference(const float* in, const PoolGeometry& g, float* out,
                                  uint8_t* argmax) {
  if (argmax != nullptr) check_argmax_fits(g);
  for_each_window(g, [&](int64_t offset, int64_t o, int y0, int y1, int x0, int x1) {
    const int64_t best = argmax_in_window(in, g, offset, y0, y1, x0, x1);
    out[o] = in[best];
    if (argmax != nullptr) {
      const int64_t within = best - offset;
      const auto y = static_cast<int>(within / g.width), x = static_cast<int>(within % g.width);
      argmax[o] = static_cast<uint8_t>((y - y0) * g.kernel + (x - x0));
    }
  });
}

void max_pool2d_backward_reference(const uint8_t* argmax, const float* dout, const PoolGeometry& g,
                                   float* din) {
  check_argmax_fits(g);
  // Windows overlap only inside one plane, and a plane belongs to one thread.
  for_each_window(g, [&](int64_t offset, int64_t o, int y0, int, int x0, int) {
    const int y = y0 + argmax[o] / g.kernel, x = x0 + argmax[o] % g.kernel;
    din[offset + static_cast<int64_t>(y) * g.width + x] += dout[o];
  });
}

void avg_pool2d_forward(const float* in, const PoolGeometry& g, float* out) {
  const float inv_area = 1.0f / static_cast<float>(g.kernel * g.kernel);
  for_each_window(g, [&](int64_t offset, int64_t o, int y0, int y1, int x0, int x1) {
    float total = 0.0f;
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) total += in[offset + static_cast<int64_t>(y) * g.width + x];
    out[o] = total * inv_area;
  });
}

void avg_pool2d_backward(const float* dout, const PoolGeometry& g, float* din) {
  const float inv_area = 1.0f / static_cast<float>(g.kernel * g.kernel);
  for_each_window(g, [&](int64_t offset, int64_t o, int y0, int y1, int x0, int x1) {
    const float share = dout[o] * inv_area;
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) din[offset + static_cast<int64_t>(y) * g.width + x] += share;
  });
}

}  // namespace nst
