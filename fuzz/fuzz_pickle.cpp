// The restricted unpickler alone, with a persistent-id loader that accepts any tuple as a
// storage, so that the fuzzer reaches tensor rebuilding without a checkpoint around it.
#include "fuzz/fuzz_input.h"
#include "weights/pickle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  nst::fuzz::expect_errors_only([&] {
    nst::pickle::Arena arena;
    const std::string path = "fuzz.pkl";
    nst::pickle::load({data, size}, path, arena, [&](nst::pickle::ObjectPtr) {
      return arena.make(nst::pickle::Object::Kind::storage, path);
    });
  });
  return 0;
}
