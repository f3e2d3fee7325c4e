// The nst binary's weights commands and exit codes, end to end.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "files/sha256.h"
#include "nn/vgg19.h"
#include "tensor/blas_runtime.h"
#include "tensor/cpu_features.h"
#include "tests/cli_runner.h"
#include "tests/vgg_test_util.h"
#include "weights/safetensors.h"
#include "weights/vgg19_weights.h"

namespace nst {
namespace {

using testing::run_nst;
using testing::TempDir;

const std::string kWeightsDir = std::string(NST_FIXTURE_DIR) + "/weights/";

// A full-size random VGG19 with Caffe-style key names, as a stand-in for a real download.
std::string write_caffe_vgg19(const TempDir& dir) {
  nn::Vgg19 model;
  model.init_random(21);
  NamedTensors tensors;
  for (auto& [name, p] : model.named_parameters()) tensors.emplace_back(name, p.value());
  const std::string path = dir.file("vgg19-caffe.safetensors");
  write_safetensors(path, testing::with_caffe_names(tensors), {});
  return path;
}

TEST(Cli, VersionHelpAndUsageErrors) {
  auto r = run_nst("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(r.out.starts_with("nst ")) << r.out;
  EXPECT_EQ(run_nst("--help").code, 0);
  EXPECT_EQ(run_nst("").code, 2);
  r = run_nst("frobnicate");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;
  EXPECT_EQ(run_nst("weights").code, 2);
  EXPECT_EQ(run_nst("weights info").code, 2);
  EXPECT_EQ(run_nst("weights info a b").code, 2);
  EXPECT_EQ(run_nst("weights fetch --source nowhere").code, 2);
  EXPECT_EQ(run_nst("weights fetch --url file:///x").code, 2);  // --url needs --sha256
  EXPECT_EQ(run_nst("weights fetch --no-such-option").code, 2);
  EXPECT_EQ(run_nst("weights convert --help").code, 0);
  r = run_nst("stylize --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--style-blend"), std::string::npos) << r.out;
  EXPECT_EQ(run_nst("stylize").code, 2);
}

// The binary really runs the kernel set use_best_blas_kernels() asks for: never OpenBLAS's
// pre-AVX2 fallback on a CPU with AVX2. (The user's OPENBLAS_CORETYPE, respected otherwise, is
// taken away for this run.)
TEST(Cli, VersionNamesBlasKernelsFitForThisCpu) {
  const char* users = std::getenv("OPENBLAS_CORETYPE");
  const std::string saved = users != nullptr ? users : "";
  ::unsetenv("OPENBLAS_CORETYPE");
  const auto r = run_nst("--version");
  if (users != nullptr) ::setenv("OPENBLAS_CORETYPE", saved.c_str(), 1);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto at = r.out.find("BLAS kernels: ");
  ASSERT_NE(at, std::string::npos) << r.out;
  const auto from = at + std::string("BLAS kernels: ").size();
  const std::string kernels = r.out.substr(from, r.out.find_first_of(");\n", from) - from);
  EXPECT_EQ(blas_coretype_for(kernels, cpu_features()), "") << r.out;
  if (cpu_features().avx2_fma) EXPECT_NE(kernels, "Prescott") << r.out;
}

TEST(Cli, WherePrintsTheFileInUse) {
  TempDir dir;
  const std::string weights = dir.write("mine.safetensors", "x");
  ::setenv("NST_WEIGHTS", weights.c_str(), 1);
  auto r = run_nst("weights where");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, weights + "\n");
  ::setenv("NST_WEIGHTS", dir.file("gone.safetensors").c_str(), 1);
  r = run_nst("weights where");
  ::unsetenv("NST_WEIGHTS");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("gone.safetensors is not a file"), std::string::npos) << r.err;
}

TEST(Cli, InfoDescribesACheckpoint) {
  const auto r = run_nst("weights info " + kWeightsDir + "state_zip.pth");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("format:   pytorch-zip"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("features.0.weight"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sha256:   " + sha256_file(kWeightsDir + "state_zip.pth")),
            std::string::npos);
  EXPECT_NE(r.out.find("VGG19:    no"), std::string::npos) << r.out;
  const auto bad = run_nst("weights info " + kWeightsDir + "forbidden_global.pth");
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("refusing the global"), std::string::npos) << bad.err;
}

TEST(Cli, ConvertWritesTheConvOnlyFileWithItsPreprocessing) {
  TempDir dir;
  const std::string in = write_caffe_vgg19(dir);
  const std::string out = dir.file("converted.safetensors");
  auto r = run_nst("weights convert " + in + " " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  const Vgg19Weights w = read_vgg19_weights(out);
  EXPECT_EQ(w.key_style, "torchvision");     // converted files use torchvision names...
  EXPECT_EQ(w.preprocessing.name, "caffe");  // ...and keep the Caffe preprocessing in metadata
  r = run_nst("weights info " + out);
  EXPECT_NE(r.out.find("metadata: nst.preprocessing = caffe"), std::string::npos) << r.out;

  r = run_nst("weights convert " + in + " " + dir.file("out.bin"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("must end in .safetensors"), std::string::npos) << r.err;
  r = run_nst("weights convert " + dir.file("missing.pth") + " " + dir.file("x.safetensors"));
  EXPECT_EQ(r.code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir.file("x.safetensors")));

  // An existing file is replaced only when asked, and never the input itself.
  const std::string kept = dir.write("kept.safetensors", "the user's file");
  r = run_nst("weights convert " + in + " " + kept);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(kept + " already exists; pass --overwrite to replace it"), std::string::npos)
      << r.err;
  EXPECT_EQ(testing::read_bytes(kept), "the user's file");
  r = run_nst("weights convert " + out + " " + out + " --overwrite");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("is also the input"), std::string::npos) << r.err;
  r = run_nst("weights convert " + in + " " + kept + " --overwrite");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read_vgg19_weights(kept).preprocessing.name, "caffe");
}

TEST(Cli, FetchDownloadsResumesChecksAndConverts) {
  TempDir dir;
  const std::string source = write_caffe_vgg19(dir);
  const std::string digest = sha256_file(source);
  const std::string cache = dir.file("cache");
  std::filesystem::create_directory(cache);
  // An interrupted earlier download: the first half is already there.
  {
    std::ifstream in(source, std::ios::binary);
    std::string half(std::filesystem::file_size(source) / 2, '\0');
    in.read(half.data(), static_cast<std::streamsize>(half.size()));
    std::ofstream(cache + "/vgg19-caffe.safetensors.part", std::ios::binary) << half;
  }
  const auto r =
      run_nst("weights fetch --url file://" + source + " --sha256 " + digest + " --dir " + cache);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, cache + "/vgg19.safetensors\n");
  EXPECT_EQ(read_vgg19_weights(cache + "/vgg19.safetensors").preprocessing.name, "caffe");
  EXPECT_FALSE(std::filesystem::exists(cache + "/vgg19-caffe.safetensors"));  // download removed
}

TEST(Cli, FetchRefusesAFileWithTheWrongChecksum) {
  TempDir dir;
  const std::string source = write_caffe_vgg19(dir);
  const std::string cache = dir.file("cache");
  const auto r = run_nst("weights fetch --url file://" + source + " --sha256 " +
                         std::string(64, 'a') + " --dir " + cache);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("SHA-256 mismatch"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(cache + "/vgg19.safetensors"));
  EXPECT_FALSE(std::filesystem::exists(cache + "/vgg19-caffe.safetensors"));
}

TEST(Cli, FetchWithoutNetworkSaysWhatToDo) {
  TempDir dir;
  // Port 9 (discard) on the loopback: refused at once, no DNS, no waiting.
  const auto r = run_nst("weights fetch --url http://127.0.0.1:9/vgg19.pth --sha256 " +
                         std::string(64, 'b') + " --dir " + dir.file("cache"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("could not download http://127.0.0.1:9/vgg19.pth"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("nst weights convert"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace nst
