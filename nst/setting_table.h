// The job settings, listed once (and below them the command line's own options). Each entry says
// what a face needs to know of a setting: its name (the command line's long option and the
// service's JSON key), its JobSettings field, how a value is read from text and written back, its
// help line and --help group, the smallest value that works, and whether a client of the service
// may set it. From this table come set_setting() and setting_text() (nst/settings_text.h), the
// CLI's options and --help, the service's options and refusals, the settings of a resume file, and
// GET /api/settings.
//
// Adding a setting: a field in JobSettings (nst/settings.h), one entry here, and the code that
// uses it. Its checks beyond the table's minimum go in validate_settings().
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nst/settings.h"

namespace nst {

struct SettingSpec {
  std::string_view name{};   // "style-weight"
  std::string_view field{};  // "style_weight": the JobSettings member, the resume file's key
  std::string_view
      group{};  // where `nst stylize --help` lists it: "Images", "Optimisation", "Output"
  std::string help{};
  // What a value is, for clients (GET /api/settings): "integer", "number", "bytes" (an integer
  // with an optional K, M or G), "choice" (one of `choices`), "list" (words), "numbers" (a
  // list), "integer-or-auto".
  std::string_view type{};
  std::vector<std::string_view> choices{};
  // The smallest value that works (integers and numbers); `exclusive`: it must be above.
  std::optional<double> minimum{};
  bool exclusive = false;
  std::optional<double> maximum{};  // the largest value that works, if there is one
  bool exclusive_maximum = false;   // it must be below `maximum`
  // Why a client of the service may not set it; empty: it may.
  std::string_view not_for_service{};
  // The resume-file version that first holds it (nst/resume.h): an older file's run keeps
  // the default.
  int since_version = 1;

  // Sets the value from text (SettingError naming it as `name` for a malformed one). A list
  // reads "" as empty; set_setting() refuses that from users.
  void (*parse)(JobSettings& settings, const std::string& text, const std::string& name) = nullptr;
  // The value as text that parse() reads back exactly (numbers shortest, lists with commas).
  std::string (*text)(const JobSettings& settings) = nullptr;
  // The value as a number, for the minimum's and maximum's checks; nothing for other kinds
  // (or "auto").
  std::optional<double> (*number)(const JobSettings& settings) = nullptr;
};

// Every setting, in the order --help lists them within their groups.
const std::vector<SettingSpec>& setting_specs();
// The entry named `name` ("style-weight"); nullptr if there is none.
const SettingSpec* find_setting(std::string_view name);

// An option of `nst stylize` that is not a job setting: the run's files and its display. The
// command line reads their values itself; the service refuses each with its reason.
struct CommandOptionSpec {
  std::string_view name{};  // "loss-log"
  std::string_view group{};
  std::string help{};
  std::string default_text{};          // what --help shows; empty: none
  bool takes_value = true;             // false: a switch (--quiet)
  bool before_settings = false;        // listed before the settings of its --help group
  std::string_view not_for_service{};  // why a client of the service may not send it
};

// The command's own options, in the order --help lists them within their groups.
const std::vector<CommandOptionSpec>& command_option_specs();
const CommandOptionSpec* find_command_option(std::string_view name);

}  // namespace nst
