// The scalar reference of the Winograd transforms and of the fused path's micro-kernel: the
// shared templates with one tile per lane.
#include "tensor/winograd_panel_product.h"
#include "tensor/winograd_simd.h"

namespace nst::kernels {

const WinogradKernels& winograd_scalar() {
  static const WinogradKernels table = [] {
    WinogradKernels k = make_winograd_kernels<float>(Isa::scalar);
    using Product = PanelProduct<ScalarSimd, 4, 8>;
    k.panel = Product::kPanel;
    k.panel_product = Product::product;
    return k;
  }();
  return table;
}

}  // namespace nst::kernels
