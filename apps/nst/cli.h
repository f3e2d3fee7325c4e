// Shared pieces of the nst command line: exit codes, usage errors, option parsing helpers.
#pragma once

#include <cstdint>
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

// The value of option `name` (declared as a string, so that a bad value is ours to report) as
// a number, surrounding spaces allowed, parsed as job settings are (nst/settings_text.h): a bad
// value is a SettingError, a usage error too: "--size: 'abc' is not a whole number".
int int_option(const cxxopts::ParseResult& result, const std::string& name);
int64_t int64_option(const cxxopts::ParseResult& result, const std::string& name);
uint64_t uint64_option(const cxxopts::ParseResult& result, const std::string& name);
double double_option(const cxxopts::ParseResult& result, const std::string& name);

// int_option, refused (UsageError "--port must be at least 0, got -1") below `minimum`.
int at_least(const cxxopts::ParseResult& result, const std::string& name, int minimum);

// A comma-separated option's entries, each trimmed of spaces; SettingError for an empty entry
// ("a,,b", or nothing at all).
std::vector<std::string> list_option(const cxxopts::ParseResult& result, const std::string& name);

}  // namespace nst::cli
