// Built with -mavx2 -mfma: eight tiles per register. The micro-kernel keeps 6 x 2 accumulators
// of the 16 registers, a panel of 16 tiles. The GEMM path uses it too for bands of up to 16
// tiles (conv5_1 at 256 px): with AVX2 code on a Sapphire Rapids (no AVX2-only CPU was at hand),
// 2 threads, 36 points of 512 x 512 filters took 1.46 ms where OpenBLAS's Haswell kernels took
// 2.28; at 64 tiles the two were even.
#include <immintrin.h>

#include "tensor/winograd_panel_product.h"
#include "tensor/winograd_simd.h"

namespace nst::kernels {
namespace {

struct Avx2Simd {
  using V = __m256;
  static constexpr int kLanes = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
};

}  // namespace

const WinogradKernels& winograd_avx2() {
  using Floats = float __attribute__((vector_size(32)));
  static const WinogradKernels table = [] {
    WinogradKernels k = make_winograd_kernels<Floats>(Isa::avx2);
    using Product = PanelProduct<Avx2Simd, 6, 2>;
    k.panel = Product::kPanel;
    k.panel_product = Product::product;
    k.small_bands[0] = {16, Product::kPanel, Product::product};
    return k;
  }();
  return table;
}

}  // namespace nst::kernels
