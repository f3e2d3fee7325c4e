// Writing a file so that it either appears whole or not at all: the data goes to a temporary
// file beside the target, is flushed to disk, and is renamed over the target. A crash or an
// error midway never leaves a half-written file under the real name.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace nst {

// write_body streams the contents; any exception it throws removes the temporary file. Without
// `replace`, the rename fails (nst::Error) if a file of that name exists by then, however it
// got there.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write_body,
                           bool replace = true);

// Takes the name of an output before the work that makes it starts, so that of two runs aimed
// at the same name the second fails at once instead of silently replacing the first's result.
// Without `replace` the file is created empty and exclusively (O_EXCL; nst::Error if it
// exists); with it the folder is only checked to be writable. Unless done() is called once the
// output is written (atomically, over the placeholder), the destructor removes the placeholder,
// so a failed run leaves nothing behind.
class OutputClaim {
 public:
  OutputClaim(std::string path, bool replace);
  ~OutputClaim();
  OutputClaim(const OutputClaim&) = delete;
  OutputClaim& operator=(const OutputClaim&) = delete;
  void done();

 private:
  std::string path_;
  bool created_ = false, done_ = false;
  int slot_ = -1;  // in the list of unfinished files while the placeholder is ours
};

// Throws nst::Error naming the folder unless a file can be created in the folder of `path`.
void check_writable_location(const std::string& path);

// Removes the files being written right now (temporary files, unfinished claims): for a
// process that must exit at once, e.g. on a second Ctrl-C. Safe to call from a signal handler.
void remove_unfinished_files();

}  // namespace nst
