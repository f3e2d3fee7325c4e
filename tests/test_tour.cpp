// The guided tour (docs/tour.md) names files and functions as `path` and `path:symbol`; every
// one must exist, so the tour cannot rot while the code moves on.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>

#include "tests/temp_dir.h"

namespace nst::testing {
namespace {

const std::string kRoot = NST_SOURCE_DIR;

TEST(Tour, EveryFileAndFunctionItNamesExists) {
  const std::string tour = read_bytes(kRoot + "/docs/tour.md");
  ASSERT_FALSE(tour.empty()) << "cannot read docs/tour.md";
  // `dir/file.ext` or `dir/file.ext:symbol` (symbol may be Class::member).
  const std::regex reference(
      R"(`([a-z_]+/[a-z0-9_/]+\.(?:h|cpp|md|py|sh))(?::([A-Za-z_][A-Za-z0-9_:]*))?`)");
  std::set<std::string> files, symbols;
  for (auto it = std::sregex_iterator(tour.begin(), tour.end(), reference);
       it != std::sregex_iterator(); ++it) {
    const std::string file = (*it)[1], symbol = (*it)[2];
    files.insert(file);
    const std::string source = read_bytes(kRoot + "/" + file);
    EXPECT_TRUE(std::filesystem::exists(kRoot + "/" + file)) << "the tour names " << file;
    if (symbol.empty()) continue;
    symbols.insert(symbol);
    // As a whole word: `gram` must not be satisfied by `gram_forward`.
    const std::regex word("(^|[^A-Za-z0-9_])" + symbol + "([^A-Za-z0-9_]|$)");
    EXPECT_TRUE(std::regex_search(source, word))
        << "the tour names " << file << ":" << symbol << ", which that file does not have";
  }
  // The tour follows a whole iteration: far more than a handful of references, or the
  // pattern above stopped matching the way the tour writes them.
  EXPECT_GE(files.size(), 25u);
  EXPECT_GE(symbols.size(), 35u);
}

}  // namespace
}  // namespace nst::testing
