// Job settings from text: how the faces of the job API turn what a user wrote into a setting,
// with one set of checks and one wording of the messages, through the table of settings
// (nst/setting_table.h). The command line gets
// `--style-weight 1e3`, the service gets {"style-weight": 1e3}; both call set_setting() with
// the option name "style-weight" (the field with dashes) and the text "1e3".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nst/settings.h"

namespace nst {

// The option names of every job setting ("size", "style-weight", ...).
const std::vector<std::string_view>& setting_options();
bool is_setting_option(std::string_view option);

// The setting's value as text that set_setting() reads back exactly: the inverse, for resume
// files and for showing defaults.
std::string setting_text(const JobSettings& settings, std::string_view option);

// Sets the setting `option` from `text`: numbers as text (spaces around allowed), lists
// comma-separated, choices as their words; `init` takes content, noise, or anything else as
// the name of a starting image (InitKind::image). Throws SettingError naming the option
// through `names` for a malformed value, nst::Error for an option that is no setting.
// Whether the value works with the rest is validate_settings()'s to say.
void set_setting(JobSettings& settings, std::string_view option, const std::string& text,
                 const FieldNames& names = {});

// The pieces, for a face's options of its own. `name` is how a message calls the value
// ("--jpeg-quality"); each throws SettingError "NAME: 'abc' is not a whole number".
int int_from_text(const std::string& text, const std::string& name);
int64_t int64_from_text(const std::string& text, const std::string& name);
uint64_t uint64_from_text(const std::string& text, const std::string& name);
double double_from_text(const std::string& text, const std::string& name);
// Entries of a comma-separated list, trimmed; refused when one is empty ("a,,b", "").
std::vector<std::string> list_from_text(const std::string& text, const std::string& name);
// A byte count with an optional K, M or G (powers of 1024): "6G", "800M", "1048576".
int64_t bytes_from_text(const std::string& text, const std::string& name);

}  // namespace nst
