// The precision of the Winograd products (tensor/winograd.h): fp32, or bf16 operands with fp32
// sums on AMX tiles (tensor/amx_bf16.h): by Intel's figures for Sapphire Rapids, one TDPBF16PS
// (8192 multiply-adds) every 16 cycles, 16x two 16-wide FMAs a cycle.
// Only the products drop to bf16: the tile transforms, the activations and everything outside
// the convolution stay in fp32. README ("Precision") has the measured effect on whole runs.
//
// NST_PRECISION=fp32|bf16|auto chooses, read at each call as NST_CONV is; bf16 on a CPU without
// AMX-BF16 is an error. auto (the default) would pick bf16 where a whole run keeps its final
// loss within 1% of fp32's and its picture within 40 dB: bf16 keeps the loss (0.5-1.1% lower,
// README) but not the picture, so auto is fp32. AVX512_BF16 alone (Zen 4, Cooper Lake) has no
// bf16 path: on Sapphire Rapids its VDPBF16PS ran at a quarter of the FMA's instructions per
// cycle, half its multiply-adds (README), so it would be slower than fp32.
#pragma once

#include "tensor/conv2d_shape.h"

namespace nst {

enum class Precision { fp32, bf16 };

// What NST_PRECISION and this CPU ask for; throws nst::Error for a value that is not one of
// fp32, bf16, auto, or for bf16 where AMX-BF16 is not usable.
Precision requested_precision();

// Whether a convolution's channel counts fill the AMX tiles: K and C multiples of 32.
bool fills_amx_tiles(const Conv2dShape& s);

// The precision of one Winograd convolution's products: the requested one where its channel
// counts fill the AMX tiles (K and C multiples of 32: every Winograd layer of VGG19 but
// conv1_1's input gradient, with 3 channels), else fp32.
Precision winograd_precision(const Conv2dShape& s);

}  // namespace nst
