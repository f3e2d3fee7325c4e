// `nst bench` on a tiny size: every VGG19 shape measured by every method, the iteration split
// by op, in the three formats; wrong command lines refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tensor/amx_bf16.h"
#include "tests/cli_runner.h"
#include "tests/temp_dir.h"

namespace nst::testing {
namespace {

// Tiny and quick: 16 px (conv5_1 sees 1x1), two runs of 10 ms per figure.
constexpr const char* kQuick = "bench --size 16 --repeats 2 --run-time 0.01";

void expect_ordered(const nlohmann::json& stats, const std::string& what) {
  EXPECT_GT(stats["median"].get<double>(), 0.0) << what;
  EXPECT_LE(stats["min"].get<double>(), stats["median"].get<double>()) << what;
  EXPECT_LE(stats["median"].get<double>(), stats["max"].get<double>()) << what;
}

TEST(CliBench, JsonHasEveryShapeEveryMethodAndTheIterationByOp) {
  const CliResult r = run_nst(std::string(kQuick) + " --threads 1 --format json");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["size"], 16);
  EXPECT_EQ(j["threads"], 1);
  EXPECT_FALSE(j["machine"]["cpu"].get<std::string>().empty());
  expect_ordered(j["peak_gflops"], "peak");

  // conv1_1 .. conv5_1: 9 distinct shapes, 13 layers, channels chained, sizes halving.
  const auto& convs = j["convolutions"];
  ASSERT_EQ(convs.size(), 9u);
  const std::vector<std::string> names = {"conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1",
                                          "conv3_2", "conv4_1", "conv4_2", "conv5_1"};
  const int sides[] = {16, 16, 8, 8, 4, 4, 2, 2, 1};
  int layers = 0;
  for (std::size_t i = 0; i < convs.size(); ++i) {
    const auto& c = convs[i];
    EXPECT_EQ(c["layer"], names[i]);
    EXPECT_EQ(c["H"], sides[i]) << names[i];
    if (i > 0) {
      EXPECT_EQ(c["C"], convs[i - 1]["K"]) << names[i];
    }
    layers += c["count"].get<int>();
    for (const char* pass : {"forward", "input_gradient"}) {
      const std::string picked = c[pass]["picked"];
      EXPECT_TRUE(picked == "im2col" || picked == "winograd" || picked == "fused")
          << names[i] << " " << picked;
      for (const char* method :
           {"sgemm_gflops", "im2col_gflops", "winograd_gflops", "fused_gflops"}) {
        ASSERT_TRUE(c[pass].contains(method)) << names[i] << " " << pass << " " << method;
        expect_ordered(c[pass][method], names[i] + " " + pass + " " + method);
      }
      // bf16 where AMX runs it and the channels fill its tiles: all but conv1_1's 3.
      EXPECT_EQ(c[pass].contains("bf16_gflops"), amx_bf16_usable() && i > 0) << names[i];
    }
  }
  EXPECT_EQ(layers, 13);
  for (const char* pass : {"forward", "input_gradient"}) {
    for (const char* method :
         {"sgemm_gflops", "im2col_gflops", "winograd_gflops", "fused_gflops", "picked_gflops"})
      EXPECT_GT(j["vgg19_weighted"][pass][method].get<double>(), 0.0) << pass << " " << method;
  }

  // The default job's iteration: 13 fused conv+ReLU forward and backward, 4 poolings, the
  // losses of 6 layers (relu4_2 and five style layers), one Adam update.
  const auto& it = j["iteration"];
  expect_ordered(it["ms"], "iteration");
  std::map<std::string, int> calls;
  double ops_ms = 0.0;
  for (const auto& op : it["ops"]) {
    calls[op["op"].get<std::string>() + " " + op["pass"].get<std::string>()] = op["calls"];
    ops_ms += op["ms"]["median"].get<double>();
  }
  EXPECT_EQ(calls["conv2d_relu forward"], 13);
  EXPECT_EQ(calls["conv2d_relu backward"], 13);
  EXPECT_EQ(calls["max_pool2d forward"], 4);
  EXPECT_EQ(calls["max_pool2d backward"], 4);
  EXPECT_EQ(calls["feature_losses fwd+bwd"], 6);
  EXPECT_EQ(calls["adam update"], 1);
  // Medians of parts need not add up exactly, but not to much more than the whole.
  EXPECT_LT(ops_ms, 1.5 * it["ms"]["max"].get<double>());
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(CliBench, CsvRowsAllHaveTheHeadersColumns) {
  const CliResult r = run_nst(std::string(kQuick) + " --format csv");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto lines = lines_of(r.out);
  std::size_t header = 0;
  while (header < lines.size() && lines[header].starts_with("#")) ++header;
  ASSERT_LT(header, lines.size());
  EXPECT_EQ(lines[header],
            "section,layer,count,C,K,H,W,pass,method,picked,median,min,max,unit,share,calls");
  std::map<std::string, int> sections;
  for (std::size_t i = header + 1; i < lines.size(); ++i) {
    EXPECT_EQ(std::count(lines[i].begin(), lines[i].end(), ','), 15) << lines[i];
    ++sections[lines[i].substr(0, lines[i].find(','))];
  }
  EXPECT_EQ(sections["peak"], 1);
  // shapes x passes x methods, and bf16 on 8 shapes with AMX
  EXPECT_EQ(sections["conv"], 9 * 2 * 4 + (amx_bf16_usable() ? 8 * 2 : 0));
  EXPECT_EQ(sections["network"], 2 * 6);   // passes x (methods and what a job picks)
  EXPECT_GE(sections["iteration"], 8);     // the total, the ops, what lies between them
  EXPECT_NE(r.out.find("conv,conv3_2,3,256,256,4,4,forward,"), std::string::npos) << r.out;
}

TEST(CliBench, TheTableNamesTheMachineEveryLayerAndTheOps) {
  const CliResult r = run_nst(kQuick);
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* expected : {"CPU: ", "OpenBLAS kernels: ", "Peak: ", "conv1_1", "conv5_1",
                               "64->128 at 8x8", "input grad", "conv2d_relu", "feature_losses",
                               "(between the ops)", "VGG19    13 layers", "As a job runs them"}) {
    EXPECT_NE(r.out.find(expected), std::string::npos) << expected << " in:\n" << r.out;
  }
  EXPECT_TRUE(r.err.empty()) << "no progress display when stderr is not a terminal: " << r.err;
}

// Counts the occurrences of `what` in `text`.
int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// --plot draws the table into an SVG: a bar per shape, pass and method, the one a job runs
// outlined, the peak; a title and a description for screen readers. An existing file is kept
// unless --overwrite, and a name that is not .svg is refused, both before any measuring.
TEST(CliBench, PlotDrawsEveryShapePassAndMethodAgainstThePeak) {
  const TempDir dir;
  const std::string svg = dir.file("rates.svg");
  const CliResult r = run_nst(std::string(kQuick) + " --threads 1 --plot " + svg);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("Wrote " + svg), std::string::npos) << r.err;
  const std::string text = read_bytes(svg);
  EXPECT_TRUE(text.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"")) << text;
  EXPECT_TRUE(text.ends_with("</svg>\n"));
  // 9 shapes x 2 passes x 4 methods (Winograd applies to all: 3x3, padding 1), 18 picked;
  // with AMX, bf16 on the 8 shapes whose channels fill its tiles.
  const int bf16_bars = amx_bf16_usable() ? 8 * 2 : 0;
  EXPECT_EQ(count_of(text, "GFLOP/s</title></rect>"), 9 * 2 * 4 + bf16_bars - 18);
  EXPECT_EQ(count_of(text, " (what a job runs)</title></rect>"), 18);
  for (const char* expected : {"<title id=\"title\">nst bench: VGG19's convolutions at 16x16",
                               "<desc id=\"desc\">", "FMA peak", "conv1_1 fwd", "conv5_1 grad",
                               "Winograd, fused path", "outlined: what a job runs"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected;
  }

  const CliResult again = run_nst(std::string(kQuick) + " --plot " + svg);
  EXPECT_EQ(again.code, 2) << again.err;
  EXPECT_NE(again.err.find("already exists; pass --overwrite"), std::string::npos) << again.err;
  EXPECT_EQ(read_bytes(svg), text) << "the first plot is kept";
  const CliResult png = run_nst("bench --plot " + dir.file("rates.png"));
  EXPECT_EQ(png.code, 2) << png.err;
  EXPECT_NE(png.err.find("must end in .svg"), std::string::npos) << png.err;
}

TEST(CliBench, WrongCommandLinesAreUsageErrors) {
  for (const char* args :
       {"bench --format xml", "bench --size 8", "bench --size big", "bench --repeats 0",
        "bench --run-time 0", "bench --threads -1", "bench --max-memory lots", "bench extra"}) {
    const CliResult r = run_nst(args);
    EXPECT_EQ(r.code, 2) << args << ": " << r.err;
    EXPECT_NE(r.err.find("usage error"), std::string::npos) << args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << args;
  }
  // A size that does not fit the memory limit: refused before any work (exit 1).
  const CliResult big = run_nst("bench --size 512 --max-memory 100M");
  EXPECT_EQ(big.code, 1) << big.err;
  EXPECT_NE(big.err.find("needs about"), std::string::npos) << big.err;
  EXPECT_TRUE(big.out.empty());
  const CliResult help = run_nst("bench --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--format"), std::string::npos);
}

}  // namespace
}  // namespace nst::testing
