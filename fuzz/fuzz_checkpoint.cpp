// Every weights format read_checkpoint accepts: safetensors, PyTorch zip and legacy (through the
// restricted unpickler), recognised from the bytes as for a user's file.
#include "fuzz/fuzz_input.h"
#include "weights/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const nst::fuzz::InputFile file(data, size);
  nst::fuzz::expect_errors_only([&] { nst::read_checkpoint(file.path()); });
  return 0;
}
