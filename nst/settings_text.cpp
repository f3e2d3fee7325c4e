#include "nst/settings_text.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "nst/setting_table.h"
#include "tensor/error.h"

namespace nst {
namespace {

std::string trimmed(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

template <class T>
T number(const std::string& raw, const std::string& name, const char* kind) {
  const std::string text = trimmed(raw);
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range)
    throw SettingError("", name + ": '" + raw + "' is out of range");
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    throw SettingError("", name + ": '" + raw + "' is not " + kind);
  return value;
}

}  // namespace

const std::vector<std::string_view>& setting_options() {
  static const std::vector<std::string_view> options = [] {
    std::vector<std::string_view> names;
    for (const SettingSpec& spec : setting_specs()) names.push_back(spec.name);
    return names;
  }();
  return options;
}

bool is_setting_option(std::string_view option) { return find_setting(option) != nullptr; }

void set_setting(JobSettings& settings, std::string_view option, const std::string& text,
                 const FieldNames& names) {
  const SettingSpec* spec = find_setting(option);
  NST_CHECK(spec != nullptr, "'", option, "' is not a job setting");
  const std::string name = name_of(names, spec->field);
  // A list that names nothing is a mistake when a user writes it; only a resume file, written
  // from a texture's settings, holds one (the table's parse reads it as an empty list).
  if ((spec->type == "list" || spec->type == "numbers") && trimmed(text).empty())
    throw SettingError(std::string(spec->field), name + ": names nothing");
  try {
    spec->parse(settings, text, name);
  } catch (const SettingError& e) {
    throw SettingError(std::string(spec->field), e.what());
  }
}

std::string setting_text(const JobSettings& settings, std::string_view option) {
  const SettingSpec* spec = find_setting(option);
  NST_CHECK(spec != nullptr, "'", option, "' is not a job setting");
  return spec->text(settings);
}

int int_from_text(const std::string& text, const std::string& name) {
  return number<int>(text, name, "a whole number");
}
int64_t int64_from_text(const std::string& text, const std::string& name) {
  return number<int64_t>(text, name, "a whole number");
}
uint64_t uint64_from_text(const std::string& text, const std::string& name) {
  return number<uint64_t>(text, name, "a non-negative whole number");
}
double double_from_text(const std::string& text, const std::string& name) {
  return number<double>(text, name, "a number");
}

std::vector<std::string> list_from_text(const std::string& text, const std::string& name) {
  std::vector<std::string> entries;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = text.find(',', begin);
    const std::string entry = trimmed(text.substr(begin, comma - begin));
    if (entry.empty()) {
      throw SettingError(
          "", name + ": " +
                  (trimmed(text).empty() ? "names nothing" : "an empty entry in '" + text + "'"));
    }
    entries.push_back(entry);
    if (comma == std::string::npos) return entries;
    begin = comma + 1;
  }
}

int64_t bytes_from_text(const std::string& raw, const std::string& name) {
  std::string text = trimmed(raw);
  int shift = 0;
  if (!text.empty()) {
    const char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(text.back())));
    shift = unit == 'K' ? 10 : unit == 'M' ? 20 : unit == 'G' ? 30 : 0;
  }
  if (shift > 0) text.pop_back();
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !(value >= 0) ||
      value * static_cast<double>(int64_t{1} << shift) > 9e18) {
    throw SettingError(
        "", name + ": '" + raw + "' is not a size such as 6G, 800M or a number of bytes");
  }
  return static_cast<int64_t>(value * static_cast<double>(int64_t{1} << shift));
}

}  // namespace nst
