// Shared by the fuzz targets: the bytes of one input as a file (for readers that take a path
// and map the file), and the rule that nst::Error is an expected answer to bad input while
// anything else (a crash, a sanitizer report, another exception, a hang) is a finding.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "tensor/error.h"

namespace nst::fuzz {

// An in-memory file holding `data`, removed when this goes away.
class InputFile {
 public:
  InputFile(const uint8_t* data, std::size_t size) : fd_(::memfd_create("fuzz-input", 0)) {
    for (std::size_t done = 0; done < size;) {
      const ssize_t n = ::write(fd_, data + done, size - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
  }
  ~InputFile() { ::close(fd_); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

// Runs `body`; an nst::Error is the reader doing its job.
template <class Body>
void expect_errors_only(Body body) {
  try {
    body();
  } catch (const Error&) {
  }
}

}  // namespace nst::fuzz
