// Writing a file so that it either appears whole or not at all: the data goes to a temporary
// file beside the target, is flushed to disk, and is renamed over the target. A crash or an
// error midway never leaves a half-written file under the real name.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace nst {

// write_body streams the contents; any exception it throws removes the temporary file.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write_body);

// Throws nst::Error naming the folder unless a file can be created in the folder of `path`.
void check_writable_location(const std::string& path);

}  // namespace nst
