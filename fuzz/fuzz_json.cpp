// The strict JSON reader of safetensors headers.
#include <string_view>

#include "fuzz/fuzz_input.h"
#include "weights/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  nst::fuzz::expect_errors_only([&] {
    nst::json::parse({reinterpret_cast<const char*>(data), size}, "fuzz.json");
  });
  return 0;
}
