// Shared pieces of the nst command line: exit codes, usage errors, option parsing helpers.
#pragma once

#include <cxxopts.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace nst::cli {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;  // the work failed: a file, the weights, the disk
constexpr int kExitUsage = 2;    // the command line is wrong

// A mistake in the command line (exit code 2), as opposed to nst::Error (exit code 1).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses args (without the program and subcommand words) with `options`; cxxopts' own errors
// become UsageErrors.
cxxopts::ParseResult parse(cxxopts::Options& options, const std::vector<std::string>& args);

// Positional arguments left after parsing, checked to be exactly `count`.
std::vector<std::string> positionals(const cxxopts::ParseResult& result, std::size_t count,
                                     const std::string& usage);

}  // namespace nst::cli
