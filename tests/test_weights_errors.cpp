// Bad weight files: each must be a clear error that names the file and the problem, never a
// crash or a silently wrong tensor.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "tensor/error.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"
#include "weights/checkpoint.h"
#include "weights/safetensors.h"
#include "weights/vgg19_weights.h"

namespace nst {
namespace {

using testing::error_of;
using testing::TempDir;

const std::string kWeightsDir = std::string(NST_FIXTURE_DIR) + "/weights/";

// A safetensors file: the 8-byte header size (the real one unless overridden), header, data.
std::string safetensors_bytes(const std::string& header, const std::string& data,
                              uint64_t header_size = UINT64_MAX) {
  if (header_size == UINT64_MAX) header_size = header.size();
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &header_size, 8);
  return bytes + header + data;
}

void expect_error(const std::string& path, const std::string& fragment) {
  const std::string message = error_of([&] { read_checkpoint(path); });
  EXPECT_TRUE(message.starts_with(path))
      << "the message should start with the file name: " << message;
  EXPECT_NE(message.find(fragment), std::string::npos)
      << "expected '" << fragment << "' in: " << message;
}

const std::string kTwoTensors =
    R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
const std::string kTwelveBytes(12, '\x01');

TEST(BadWeights, TheValidBaselineLoads) {
  TempDir dir;
  const std::string ok = dir.write("ok.safetensors", safetensors_bytes(kTwoTensors, kTwelveBytes));
  EXPECT_EQ(error_of([&] { read_checkpoint(ok); }), testing::kNoError);
}

TEST(BadWeights, EmptyFile) {
  TempDir dir;
  expect_error(dir.write("empty.safetensors", ""), "the file is empty");
}

TEST(BadWeights, TruncatedHeaderSize) {
  TempDir dir;
  expect_error(dir.write("short.safetensors", "\x10\x00\x00"), "too short");
}

TEST(BadWeights, HeaderSizeLargerThanTheFile) {
  TempDir dir;
  expect_error(dir.write("h.safetensors", safetensors_bytes(kTwoTensors, kTwelveBytes, 5000)),
               "runs past the end");
}

TEST(BadWeights, HeaderSizeAboveTheFormatsLimit) {
  TempDir dir;
  expect_error(
      dir.write("h.safetensors", safetensors_bytes(kTwoTensors, kTwelveBytes, 200'000'000)),
      "larger than the 100 MB");
}

TEST(BadWeights, TruncatedHeaderText) {
  TempDir dir;
  const std::string cut = kTwoTensors.substr(0, 30);
  expect_error(dir.write("t.safetensors", safetensors_bytes(cut, "")), "invalid JSON");
}

TEST(BadWeights, TruncatedData) {
  TempDir dir;
  expect_error(
      dir.write("d.safetensors", safetensors_bytes(kTwoTensors, kTwelveBytes.substr(0, 10))),
      "past the 10-byte data section");
}

TEST(BadWeights, OverlappingOffsets) {
  TempDir dir;
  const std::string header =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  expect_error(dir.write("o.safetensors", safetensors_bytes(header, kTwelveBytes)), "overlap");
}

TEST(BadWeights, GapBetweenTensorsAndTrailingBytes) {
  TempDir dir;
  const std::string gap =
      R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  expect_error(dir.write("g.safetensors", safetensors_bytes(gap, kTwelveBytes)),
               "should start at 4");
  const std::string short_cover = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  expect_error(dir.write("c.safetensors", safetensors_bytes(short_cover, kTwelveBytes)),
               "cover 8 bytes but the data section holds 12");
}

TEST(BadWeights, OffsetsOutOfRange) {
  TempDir dir;
  const std::string header = R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
  expect_error(dir.write("r.safetensors", safetensors_bytes(header, kTwelveBytes)),
               "ends at byte 16");
}

TEST(BadWeights, SizeDisagreesWithShape) {
  TempDir dir;
  const std::string header = R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}})";
  expect_error(dir.write("s.safetensors", safetensors_bytes(header, kTwelveBytes)), "need 16");
}

TEST(BadWeights, UnknownDtype) {
  TempDir dir;
  const std::string header = R"({"a":{"dtype":"F24","shape":[4],"data_offsets":[0,12]}})";
  expect_error(dir.write("u.safetensors", safetensors_bytes(header, kTwelveBytes)),
               "unknown dtype \"F24\"");
}

TEST(BadWeights, KnownButNonFloatDtype) {
  TempDir dir;
  const std::string header = R"({"a":{"dtype":"I32","shape":[3],"data_offsets":[0,12]}})";
  expect_error(dir.write("i.safetensors", safetensors_bytes(header, kTwelveBytes)), "dtype I32");
}

TEST(BadWeights, NotAWeightsFileAtAll) {
  TempDir dir;
  expect_error(dir.write("photo.jpg", "\xff\xd8\xff\xe0 this is a JPEG, not weights........"),
               "neither a safetensors file nor a PyTorch checkpoint (it is a JPEG image)");
  expect_error(dir.write("notes.txt", "some notes that are not weights at all"),
               "neither a safetensors file nor a PyTorch checkpoint");
}

TEST(BadWeights, DirectoryGivenAsAFile) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("folder.pth"));
  expect_error(dir.file("folder.pth"), "is a directory");
}

TEST(BadWeights, MissingFile) {
  TempDir dir;
  expect_error(dir.file("nowhere.safetensors"), "cannot open");
}

TEST(BadWeights, PickleWithAForbiddenGlobal) {
  // torch.save of an object whose __reduce__ calls os.system (posix.system on Linux).
  const std::string path = kWeightsDir + "forbidden_global.pth";
  expect_error(path, "refusing the global 'posix.system'");
}

TEST(BadWeights, ZipWithAMissingRecord) {
  expect_error(kWeightsDir + "missing_record.pth", "no record");
}

TEST(BadWeights, TruncatedTorchFiles) {
  TempDir dir;
  for (const char* name : {"state_zip.pth", "state_legacy.pth"}) {
    const std::string bytes = testing::read_bytes(kWeightsDir + name);
    // Cut the file short at many points: every one must be an error, none a crash.
    for (std::size_t keep :
         {bytes.size() - 1, bytes.size() * 3 / 4, bytes.size() / 2, std::size_t{20}}) {
      const std::string path = dir.write(std::string("cut_") + name, bytes.substr(0, keep));
      const std::string message = error_of([&] { read_checkpoint(path); });
      EXPECT_TRUE(message.starts_with(path)) << name << " cut at " << keep << ": " << message;
    }
  }
}

TEST(BadWeights, Vgg19WithAWrongShape) {
  TempDir dir;
  const std::string path = dir.file("wrong.safetensors");
  write_safetensors(path,
                    {{"features.0.weight", Tensor::zeros(Shape{64, 3, 5, 5})},
                     {"features.0.bias", Tensor::zeros(Shape{64})}},
                    {});
  const std::string m = error_of([&] { read_vgg19_weights(path); });
  EXPECT_NE(m.find(path), std::string::npos) << m;
  EXPECT_NE(m.find("features.0.weight has shape [64, 3, 5, 5]"), std::string::npos) << m;
  EXPECT_NE(m.find("needs [64, 3, 3, 3]"), std::string::npos) << m;
}

TEST(BadWeights, Vgg19WithAMissingLayer) {
  TempDir dir;
  const std::string path = dir.file("partial.safetensors");
  write_safetensors(path,
                    {{"features.0.weight", Tensor::zeros(Shape{64, 3, 3, 3})},
                     {"features.0.bias", Tensor::zeros(Shape{64})}},
                    {});
  const std::string m = error_of([&] { read_vgg19_weights(path); });
  EXPECT_NE(m.find("missing features.2.weight (VGG19 layer conv1_2"), std::string::npos) << m;
}

TEST(BadWeights, NoVgg19KeysAtAll) {
  const std::string m = error_of([&] { read_vgg19_weights(kWeightsDir + "small.safetensors"); });
  EXPECT_NE(m.find("no VGG19 convolution weights"), std::string::npos) << m;
}

}  // namespace
}  // namespace nst
