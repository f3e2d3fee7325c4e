// Running another program (curl) without a shell: arguments are passed as they are, so no
// file name or URL is ever interpreted by /bin/sh.
#pragma once

#include <string>
#include <vector>

namespace nst {

// Runs argv[0] (looked up in PATH) and waits. Returns its exit code, or -1 if it could not be
// started. If `output` is given, the program's standard output is captured into it; standard
// error always goes to ours (curl's progress bar).
int run_program(const std::vector<std::string>& argv, std::string* output = nullptr);

}  // namespace nst
