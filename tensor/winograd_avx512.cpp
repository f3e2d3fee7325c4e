// Built with -mavx512f: sixteen tiles per register. The micro-kernel keeps 8 x 3 accumulators
// of the 32 registers, a panel of 48 tiles.
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
    return k;
  }();
  return table;
}

}  // namespace nst::kernels
