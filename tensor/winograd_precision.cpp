#include "tensor/winograd_precision.h"

#include <cstdlib>
#include <string_view>

#include "tensor/amx_bf16.h"
#include "tensor/error.h"

namespace nst {

Precision requested_precision() {
  const char* value = std::getenv("NST_PRECISION");
  const std::string_view name = value == nullptr ? "auto" : value;
  if (name == "fp32") return Precision::fp32;
  // bf16 met the loss half of README's criterion for a default but not the picture half, so
  // auto is fp32 everywhere for now.
  if (name == "auto") return Precision::fp32;
  if (name == "bf16") {
    NST_CHECK(amx_bf16_usable(),
              "NST_PRECISION=bf16 needs a CPU with AMX-BF16 (Sapphire Rapids or later); this one "
              "has none, or the kernel did not grant it");
    return Precision::bf16;
  }
  fail("NST_PRECISION=", name, " is not one of fp32, bf16, auto");
}

bool fills_amx_tiles(const Conv2dShape& s) {
  return s.K % amx::kRowBlock == 0 && s.C % amx::kRowBlock == 0;
}

Precision winograd_precision(const Conv2dShape& s) {
  const Precision wanted = requested_precision();
  return fills_amx_tiles(s) ? wanted : Precision::fp32;
}

}  // namespace nst
