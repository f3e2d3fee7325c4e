#include "tensor/elementwise.h"

#include <cstdlib>
#include <string_view>
#include <vector>

#include "tensor/cpu_features.h"
#include "tensor/elementwise_kernels.h"
#include "tensor/error.h"
#include "tensor/threads.h"

namespace nst {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::scalar: return "scalar";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
  }
  return "unknown";
}

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::scalar: return true;
    case Isa::avx2: return cpu_features().avx2_fma;
    case Isa::avx512: return cpu_features().avx512f;
  }
  return false;
}

const ElementwiseKernels& elementwise_kernels(Isa isa) {
  NST_CHECK(isa_supported(isa), "this CPU cannot run the ", isa_name(isa),
            " kernels (it has: ", cpu_features().summary(), ")");
  switch (isa) {
    case Isa::avx2: return kernels::avx2();
    case Isa::avx512: return kernels::avx512();
    case Isa::scalar: break;
  }
  return kernels::scalar();
}

namespace {

Isa choose_isa() {
  if (const char* forced = std::getenv("NST_ISA")) {
    for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512}) {
      if (std::string_view(forced) == isa_name(isa)) {
        elementwise_kernels(isa);  // fails clearly if the CPU cannot run it
        return isa;
      }
    }
    fail("NST_ISA=", forced, " is not one of scalar, avx2, avx512");
  }
  if (isa_supported(Isa::avx512)) return Isa::avx512;
  if (isa_supported(Isa::avx2)) return Isa::avx2;
  return Isa::scalar;
}

const ElementwiseKernels& active() {
  static const ElementwiseKernels& table = elementwise_kernels(choose_isa());
  return table;
}

// Below two blocks a range is done on the calling thread: starting threads costs more than
// the memory traffic of 32K floats.
constexpr std::size_t kBlock = std::size_t{1} << 15;

// Runs body(begin, count) over [0, n) in blocks, in parallel when n is large.
template <class Body>
void for_blocks(std::size_t n, Body body) {
  if (n < 2 * kBlock) {
    body(std::size_t{0}, n);
    return;
  }
  const auto blocks = static_cast<std::ptrdiff_t>((n + kBlock - 1) / kBlock);
#pragma omp parallel for num_threads(num_threads()) schedule(static)
  for (std::ptrdiff_t b = 0; b < blocks; ++b) {
    std::size_t begin = static_cast<std::size_t>(b) * kBlock;
    body(begin, std::min(kBlock, n - begin));
  }
}

// Sums part(begin, count) over the blocks of [0, n) in a fixed order.
template <class Part>
double reduce_blocks(std::size_t n, Part part) {
  if (n < 2 * kBlock) return part(std::size_t{0}, n);
  std::vector<double> partial((n + kBlock - 1) / kBlock);
  for_blocks(n, [&](std::size_t begin, std::size_t count) {
    partial[begin / kBlock] = part(begin, count);
  });
  double total = 0.0;
  for (double p : partial) total += p;
  return total;
}

void check_sizes(std::size_t a, std::size_t b, const char* what) {
  NST_CHECK(a == b, what, ": ranges differ in length, ", a, " vs ", b);
}

}  // namespace

Isa active_isa() { return active().isa; }

void add(std::span<const float> a, std::span<const float> b, std::span<float> out) {
  check_sizes(a.size(), b.size(), "add");
  check_sizes(a.size(), out.size(), "add");
  for_blocks(a.size(), [&](std::size_t i, std::size_t n) {
    active().add(a.data() + i, b.data() + i, out.data() + i, n);
  });
}

void sub(std::span<const float> a, std::span<const float> b, std::span<float> out) {
  check_sizes(a.size(), b.size(), "sub");
  check_sizes(a.size(), out.size(), "sub");
  for_blocks(a.size(), [&](std::size_t i, std::size_t n) {
    active().sub(a.data() + i, b.data() + i, out.data() + i, n);
  });
}

void mul(std::span<const float> a, std::span<const float> b, std::span<float> out) {
  check_sizes(a.size(), b.size(), "mul");
  check_sizes(a.size(), out.size(), "mul");
  for_blocks(a.size(), [&](std::size_t i, std::size_t n) {
    active().mul(a.data() + i, b.data() + i, out.data() + i, n);
  });
}

void scale(std::span<const float> x, float s, std::span<float> out) {
  check_sizes(x.size(), out.size(), "scale");
  for_blocks(x.size(), [&](std::size_t i, std::size_t n) {
    active().scale(x.data() + i, s, out.data() + i, n);
  });
}

void axpy(float alpha, std::span<const float> x, std::span<float> y) {
  check_sizes(x.size(), y.size(), "axpy");
  for_blocks(x.size(), [&](std::size_t i, std::size_t n) {
    active().axpy(alpha, x.data() + i, y.data() + i, n);
  });
}

void affine(std::span<const float> x, float s, float t, std::span<float> out) {
  check_sizes(x.size(), out.size(), "affine");
  for_blocks(x.size(), [&](std::size_t i, std::size_t n) {
    active().affine(x.data() + i, s, t, out.data() + i, n);
  });
}

void relu(std::span<const float> x, std::span<float> out) {
  check_sizes(x.size(), out.size(), "relu");
  for_blocks(x.size(),
             [&](std::size_t i, std::size_t n) { active().relu(x.data() + i, out.data() + i, n); });
}

void relu_backward(std::span<const float> y, std::span<const float> dy, std::span<float> dx) {
  check_sizes(y.size(), dy.size(), "relu_backward");
  check_sizes(y.size(), dx.size(), "relu_backward");
  for_blocks(y.size(), [&](std::size_t i, std::size_t n) {
    active().relu_backward(y.data() + i, dy.data() + i, dx.data() + i, n);
  });
}

void clamp(std::span<const float> x, float lo, float hi, std::span<float> out) {
  check_sizes(x.size(), out.size(), "clamp");
  NST_CHECK(lo <= hi, "clamp: lower bound ", lo, " is above upper bound ", hi);
  for_blocks(x.size(), [&](std::size_t i, std::size_t n) {
    active().clamp(x.data() + i, lo, hi, out.data() + i, n);
  });
}

double sum(std::span<const float> x) {
  return reduce_blocks(x.size(),
                       [&](std::size_t i, std::size_t n) { return active().sum(x.data() + i, n); });
}

double sum_squares(std::span<const float> x) {
  return reduce_blocks(x.size(), [&](std::size_t i, std::size_t n) {
    return active().sum_squares(x.data() + i, n);
  });
}

double squared_distance(std::span<const float> a, std::span<const float> b) {
  check_sizes(a.size(), b.size(), "squared_distance");
  return reduce_blocks(a.size(), [&](std::size_t i, std::size_t n) {
    return active().squared_distance(a.data() + i, b.data() + i, n);
  });
}

double dot(std::span<const float> a, std::span<const float> b) {
  check_sizes(a.size(), b.size(), "dot");
  return reduce_blocks(a.size(), [&](std::size_t i, std::size_t n) {
    return active().dot(a.data() + i, b.data() + i, n);
  });
}

}  // namespace nst
