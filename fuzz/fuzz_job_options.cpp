// The options a client of nst serve sends with a job (serve/job_request.h): any JSON text, as
// the settings of a job with one to three style pictures.
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_input.h"
#include "serve/job_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const nlohmann::json options = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (options.is_discarded()) return 0;
  nst::fuzz::expect_errors_only([&] {
    nst::serve::parse_job_options(
        options, 1 + size % 3,
        {.max_pixels = 1 << 20, .max_memory = int64_t{1} << 30, .threads = 1});
  });
  return 0;
}
