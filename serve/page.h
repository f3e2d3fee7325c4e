// The web page served at / (serve/page/index.html, built into the binary by CMake so the server
// needs no files beside it).
#pragma once

namespace nst::serve {

extern const char* const kPageHtml;

}  // namespace nst::serve
