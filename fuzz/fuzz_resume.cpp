// Resume files, as `nst stylize --resume FILE` reads them.
#include "fuzz/fuzz_input.h"
#include "nst/resume.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const nst::fuzz::InputFile file(data, size);
  nst::fuzz::expect_errors_only([&] { nst::read_resume_file(file.path()); });
  return 0;
}
