// The file formats under the weights loader, read back against values PyTorch wrote
// (tests/make_fixtures.py) or against published test vectors.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "files/sha256.h"
#include "tensor/error.h"
#include "tests/fixture.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"
#include "weights/checkpoint.h"
#include "weights/float_formats.h"
#include "weights/json.h"
#include "weights/safetensors.h"

namespace nst {
namespace {

using testing::all_close;
using testing::error_of;
using testing::Fixture;
using testing::TempDir;

const std::string kWeightsDir = std::string(NST_FIXTURE_DIR) + "/weights/";

TEST(Json, ParsesTheValuesAHeaderUses) {
  const json::Value v = json::parse(
      R"( {"a": [1, -2, 3.5e2], "s": "x\"\u00e9\ud83d\ude00", "t": true, "n": null, "big": 9007199254740993} )",
      "test");
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v["a"][1].get<int64_t>(), -2);
  EXPECT_EQ(v["a"][2].get<double>(), 350.0);
  EXPECT_EQ(v["s"].get<std::string>(), "x\"\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_TRUE(v["big"].is_number_unsigned());
  EXPECT_EQ(v["big"].get<uint64_t>(), 9007199254740993u);  // all 64 bits, not a double
  EXPECT_FALSE(v.contains("missing"));
  std::vector<std::string> keys;
  for (const auto& [key, value] : v.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "s", "t", "n", "big"}));  // file order
}

TEST(Json, RejectsMalformedTextSayingWhere) {
  for (const char* bad : {"{\"a\":1} x", "{\"a\":01}", "{\"a\":\"\\q\"}", "{\"a\":tru}", "[1,]",
                          "{\"a\":\"\xff\"}", "\"\\ud800\"", "{"}) {
    EXPECT_NE(error_of([&] { json::parse(bad, "hdr"); }).find("hdr: invalid JSON at byte"),
              std::string::npos)
        << bad;
  }
  EXPECT_NE(error_of([&] { json::parse("{\"a\":1,\"b\":{\"a\":2,\"a\":3}}", "hdr"); })
                .find("hdr: invalid JSON: duplicate key \"a\""),
            std::string::npos);
  EXPECT_NO_THROW(json::parse("{\"a\":1,\"b\":{\"a\":2}}", "hdr"));  // one per object
  EXPECT_NE(error_of([&] { json::parse(std::string(100, '[') + std::string(100, ']'), "deep"); })
                .find("nested deeper than 64"),
            std::string::npos);
  EXPECT_NO_THROW(json::parse(std::string(64, '[') + std::string(64, ']'), "deep"));
}

TEST(Json, QuoteEscapes) {
  EXPECT_EQ(json::quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(json::parse(json::quote("tab\there \"q\""), "q").get<std::string>(), "tab\there \"q\"");
  EXPECT_THROW(json::quote("not \xff UTF-8"), Error);
}

TEST(Sha256, MatchesPublishedTestVectors) {
  // FIPS 180-4 examples.
  EXPECT_EQ(sha256_hex({}), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string abc = "abc";
  EXPECT_EQ(sha256_hex({reinterpret_cast<const uint8_t*>(abc.data()), abc.size()}),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(sha256_hex({reinterpret_cast<const uint8_t*>(two_blocks.data()), two_blocks.size()}),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  TempDir dir;  // a million 'a', streamed from a file in chunks
  EXPECT_EQ(sha256_file(dir.write("a", std::string(1'000'000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(FloatFormats, HalfAndBfloat16AreExact) {
  EXPECT_EQ(half_to_float(0x3C00), 1.0f);
  EXPECT_EQ(half_to_float(0xC000), -2.0f);
  EXPECT_EQ(half_to_float(0x7BFF), 65504.0f);               // largest half
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(half_to_float(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_TRUE(std::isinf(half_to_float(0x7C00)));
  EXPECT_TRUE(std::isnan(half_to_float(0x7E00)));
  EXPECT_EQ(bfloat16_to_float(0x3F80), 1.0f);
  EXPECT_EQ(bfloat16_to_float(0xC040), -3.0f);
}

TEST(Safetensors, RoundTripsThroughOurWriter) {
  TempDir dir;
  NamedTensors tensors{{"w", testing::random_tensor(Shape{4, 3, 3, 3}, 1)},
                       {"b", testing::random_tensor(Shape{4}, 2)},
                       {"s", Tensor::scalar(3.0f)},
                       {"e", Tensor::zeros(Shape{0, 2})}};
  const std::string path = dir.file("x.safetensors");
  write_safetensors(path, tensors, {{"k", "v \"quoted\""}});
  SafetensorsFile file(path);
  ASSERT_EQ(file.metadata().size(), 1u);
  EXPECT_EQ(file.metadata()[0].second, "v \"quoted\"");
  ASSERT_EQ(file.entries().size(), 4u);
  for (const auto& [name, tensor] : tensors) {
    const SafetensorsEntry* e = file.find(name);
    ASSERT_NE(e, nullptr) << name;
    EXPECT_TRUE(all_close(file.load(*e), tensor, 0, 0)) << name;
  }
}

TEST(Safetensors, ReadsAFileWrittenFromTheSpecInPython) {
  const Fixture expected = Fixture::load("weights/small_values");
  const Checkpoint c = read_checkpoint(kWeightsDir + "small.safetensors");
  EXPECT_EQ(c.format, "safetensors");
  ASSERT_EQ(c.tensors.size(), 3u);  // F32, F16 and BF16
  for (const auto& [name, tensor] : c.tensors) {
    EXPECT_TRUE(all_close(tensor, expected[name], 0, 0)) << name;
  }
  ASSERT_EQ(c.metadata.size(), 1u);
  EXPECT_EQ(c.metadata[0].second, "make_fixtures.py");
}

class TorchCheckpoint : public ::testing::TestWithParam<std::string> {};

TEST_P(TorchCheckpoint, EveryTensorMatchesWhatPyTorchSaved) {
  const Fixture expected = Fixture::load("weights/state_values");
  const Checkpoint c = read_checkpoint(kWeightsDir + GetParam() + ".pth");
  EXPECT_EQ(c.format, GetParam() == "state_zip" ? "pytorch-zip" : "pytorch-legacy");
  std::vector<std::string> names;
  for (const auto& [name, tensor] : c.tensors) {
    names.push_back(name);
    // float32, half, bfloat16, double, int64, a transposed view and a scalar: all exact.
    EXPECT_TRUE(all_close(tensor, expected[name], 0, 0)) << name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"features.0.weight", "features.0.bias", "half", "bf16",
                                             "double", "int", "strided", "scalar"}));
}

INSTANTIATE_TEST_SUITE_P(Formats, TorchCheckpoint, ::testing::Values("state_zip", "state_legacy"));

TEST(TorchCheckpoint, NameFilterSkipsUnwantedTensors) {
  const Checkpoint c = read_checkpoint(kWeightsDir + "state_legacy.pth", [](const std::string& n) {
    return n.starts_with("features.");
  });
  ASSERT_EQ(c.tensors.size(), 2u);
  EXPECT_EQ(c.tensors[1].first, "features.0.bias");
}

}  // namespace
}  // namespace nst
