// Total variation, the smoothness prior of style transfer, over `planes` planes of H x W:
//   E_tv = sum (x[p, i+1, j] - x[p, i, j])^2 + sum (x[p, i, j+1] - x[p, i, j])^2
// (README, "The losses"). The sum is accumulated in double.
#pragma once

namespace nst {

double total_variation_forward(const float* x, int planes, int H, int W);
// dx += dout * dE_tv/dx
void total_variation_backward(float* dx, float dout, const float* x, int planes, int H, int W);

}  // namespace nst
