// The zip reader: central directory, zip64 extras, local headers, every record's data.
#include "fuzz/fuzz_input.h"
#include "weights/zip_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  nst::fuzz::expect_errors_only([&] {
    const nst::ZipArchive zip({data, size}, "fuzz.zip");
    for (const auto& record : zip.records()) {
      nst::fuzz::expect_errors_only([&] { zip.data(record); });
    }
  });
  return 0;
}
