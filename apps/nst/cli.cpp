#include "apps/nst/cli.h"

#include "nst/settings_text.h"

namespace nst::cli {
int int_option(const cxxopts::ParseResult& result, const std::string& name) {
  return int_from_text(result[name].as<std::string>(), "--" + name);
}
int64_t int64_option(const cxxopts::ParseResult& result, const std::string& name) {
  return int64_from_text(result[name].as<std::string>(), "--" + name);
}
uint64_t uint64_option(const cxxopts::ParseResult& result, const std::string& name) {
  return uint64_from_text(result[name].as<std::string>(), "--" + name);
}
double double_option(const cxxopts::ParseResult& result, const std::string& name) {
  return double_from_text(result[name].as<std::string>(), "--" + name);
}
int at_least(const cxxopts::ParseResult& result, const std::string& name, int minimum) {
  const int v = int_option(result, name);
  if (v < minimum) {
    throw UsageError("--" + name + " must be at least " + std::to_string(minimum) + ", got " +
                     std::to_string(v));
  }
  return v;
}

std::vector<std::string> list_option(const cxxopts::ParseResult& result, const std::string& name) {
  return list_from_text(result[name].as<std::string>(), "--" + name);
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
