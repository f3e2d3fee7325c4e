// The web page served at / (serve/page/index.html) and its region painter at /mask-painter.js
// (serve/page/mask-painter.js), built into the binary by CMake so the server needs no files
// beside it.
#pragma once

namespace nst::serve {

extern const char* const kPageHtml;
extern const char* const kMaskPainterJs;

}  // namespace nst::serve
