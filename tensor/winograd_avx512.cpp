// Built with -mavx512f: sixteen tiles per register. The micro-kernel keeps 8 x 3 accumulators
// of the 32 registers, a panel of 48 tiles. Bands of few tiles (the GEMM path on small planes)
// use 16 x 1 (up to 32 tiles) or 6 x 4 (up to 64): measured on Sapphire Rapids, 2 threads, 36
// points of 512 x 512 filters, 1.24 and 3.29 ms for 16 and 64 tiles, where OpenBLAS took 1.90
// and 4.76 ms and the 48-tile panel 2.43 and 5.29.
#include <immintrin.h>

#include "tensor/winograd_panel_product.h"
#include "tensor/winograd_simd.h"

namespace nst::kernels {
namespace {

struct Avx512Simd {
  using V = __m512;
  static constexpr int kLanes = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
};

}  // namespace

const WinogradKernels& winograd_avx512() {
  using Floats = float __attribute__((vector_size(64)));
  static const WinogradKernels table = [] {
    WinogradKernels k = make_winograd_kernels<Floats>(Isa::avx512);
    using Product = PanelProduct<Avx512Simd, 8, 3>;
    k.panel = Product::kPanel;
    k.panel_product = Product::product;
    using Narrow = PanelProduct<Avx512Simd, 16, 1>;
    using Square = PanelProduct<Avx512Simd, 6, 4>;
    k.small_bands[0] = {32, Narrow::kPanel, Narrow::product};
    k.small_bands[1] = {64, Square::kPanel, Square::product};
    return k;
  }();
  return table;
}

}  // namespace nst::kernels
