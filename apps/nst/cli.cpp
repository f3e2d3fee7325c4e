#include "apps/nst/cli.h"

#include <charconv>
#include <limits>

namespace nst::cli {
namespace {

std::string trimmed(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

template <class T>
T number(const cxxopts::ParseResult& result, const std::string& name, const char* kind) {
  const std::string raw = result[name].as<std::string>();
  const std::string text = trimmed(raw);
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range)
    throw UsageError("--" + name + ": '" + raw + "' is out of range");
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    throw UsageError("--" + name + ": '" + raw + "' is not " + kind);
  return value;
}

}  // namespace

int int_option(const cxxopts::ParseResult& result, const std::string& name) {
  return number<int>(result, name, "a whole number");
}
int64_t int64_option(const cxxopts::ParseResult& result, const std::string& name) {
  return number<int64_t>(result, name, "a whole number");
}
uint64_t uint64_option(const cxxopts::ParseResult& result, const std::string& name) {
  return number<uint64_t>(result, name, "a non-negative whole number");
}
double double_option(const cxxopts::ParseResult& result, const std::string& name) {
  return number<double>(result, name, "a number");
}

std::vector<std::string> list_option(const cxxopts::ParseResult& result, const std::string& name) {
  const std::string raw = result[name].as<std::string>();
  std::vector<std::string> entries;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = raw.find(',', begin);
    const std::string entry = trimmed(raw.substr(begin, comma - begin));
    if (entry.empty()) {
      throw UsageError(
          "--" + name + ": " +
          (trimmed(raw).empty() ? "names nothing" : "an empty entry in '" + raw + "'"));
    }
    entries.push_back(entry);
    if (comma == std::string::npos) return entries;
    begin = comma + 1;
  }
}

cxxopts::ParseResult parse(cxxopts::Options& options, const std::vector<std::string>& args) {
  std::vector<const char*> argv{options.program().c_str()};
  for (const std::string& a : args) argv.push_back(a.c_str());
  try {
    return options.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const cxxopts::exceptions::exception& e) {
    throw UsageError(e.what());
  }
}

std::vector<std::string> positionals(const cxxopts::ParseResult& result, std::size_t count,
                                     const std::string& usage) {
  const std::vector<std::string>& rest = result.unmatched();
  if (rest.size() != count) {
    throw UsageError("expected " + std::to_string(count) + " argument" + (count == 1 ? "" : "s") +
                     ", got " + std::to_string(rest.size()) + "\nusage: " + usage);
  }
  return rest;
}

}  // namespace nst::cli
