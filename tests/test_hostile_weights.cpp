// Checkpoints crafted to hurt: sizes whose byte counts wrap around 2^64, views that repeat or
// overrun their storage, pickles that nest a million deep, contain themselves, name huge memo
// indices or make endless objects. Each must be a clear error naming the file (or, for the
// harmless ones, load), quickly, without crashing, leaking (the sanitizer build checks) or
// allocating what the file does not hold.
#include <gtest/gtest.h>

#include "tests/crafted_checkpoint.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"
#include "weights/checkpoint.h"

namespace nst {
namespace {

using testing::CraftedTensor;
using testing::error_of;
using testing::legacy_checkpoint;
using testing::PickleWriter;
using namespace std::string_literals;  // opcodes with NUL bytes in them

class HostileCheckpoint : public ::testing::Test {
 protected:
  // The message reading `bytes` as a checkpoint gives; it must name the file.
  std::string error_for(const std::string& bytes) {
    const std::string path = dir_.write("crafted.pth", bytes);
    const std::string message = error_of([&] { read_checkpoint(path); });
    EXPECT_TRUE(message.starts_with(path)) << message;
    return message;
  }
  testing::TempDir dir_;
};

TEST_F(HostileCheckpoint, TheCraftedBaselineLoads) {
  CraftedTensor t;
  t.storage_numel = 2;
  t.data = std::string("\0\0\x80\x3f\0\0\0\x40", 8);  // 1.0f, 2.0f
  t.shape = {2};
  const std::string path = dir_.write("ok.pth", legacy_checkpoint(t));
  const NamedTensors tensors = read_checkpoint(path).tensors;
  ASSERT_EQ(tensors.size(), 1u);
  EXPECT_EQ(tensors[0].first, "w");
  EXPECT_EQ(tensors[0].second.data()[1], 2.0f);
}

// torch.load reads these (checked with PyTorch 1.13: a = [0, 1], b = [[2, 3], [4, 5]]).
TEST_F(HostileCheckpoint, APython2EraCheckpointWithSharedStorage) {
  const std::string path = dir_.write("py2.pth", testing::python2_checkpoint());
  const NamedTensors tensors = read_checkpoint(path).tensors;
  ASSERT_EQ(tensors.size(), 2u);
  EXPECT_EQ(tensors[0].first, "a");
  EXPECT_EQ(tensors[0].second.shape(), (Shape{2}));
  EXPECT_EQ(tensors[0].second.data()[1], 1.0f);
  EXPECT_EQ(tensors[1].first, "b");
  EXPECT_EQ(tensors[1].second.shape(), (Shape{2, 2}));
  EXPECT_EQ(tensors[1].second.data()[0], 2.0f);
  EXPECT_EQ(tensors[1].second.data()[3], 5.0f);
}

TEST_F(HostileCheckpoint, AViewOutsideItsStorage) {
  std::string file = testing::python2_checkpoint();
  const std::string size4 = testing::PickleWriter().integer(4).finish();  // b's view size
  const auto at = file.find(size4.substr(2, 5));
  ASSERT_NE(at, std::string::npos);
  file[at + 1] = 9;  // b: 9 elements at offset 2 of a 6-element storage
  EXPECT_NE(error_for(file).find("does not fit storage 'root'"), std::string::npos);
}

TEST_F(HostileCheckpoint, StorageWhoseByteCountWraps) {
  CraftedTensor t;  // 2^62 floats are 2^64 bytes: 0 after wrapping, with 4 bytes of data
  t.storage_numel = int64_t{1} << 62;
  t.shape = {int64_t{1} << 62};
  EXPECT_NE(error_for(legacy_checkpoint(t)).find("truncated"), std::string::npos);
}

TEST_F(HostileCheckpoint, ShapeWhoseElementCountWraps) {
  CraftedTensor t;
  t.shape = {int64_t{1} << 32, int64_t{1} << 32};
  t.strides = {0, 0};
  EXPECT_NE(error_for(legacy_checkpoint(t)).find("more elements than its storage"),
            std::string::npos);
}

TEST_F(HostileCheckpoint, StrideZeroViewLargerThanItsStorage) {
  CraftedTensor t;  // one float repeated 900 million times: 3.6 GB from a few hundred bytes
  t.shape = {900'000'000};
  t.strides = {0};
  EXPECT_NE(error_for(legacy_checkpoint(t)).find("more elements than its storage"),
            std::string::npos);
}

TEST_F(HostileCheckpoint, ViewPastTheEndOfItsStorage) {
  CraftedTensor t;
  t.storage_numel = 4;
  t.data = std::string(16, '\0');
  t.shape = {2};
  t.strides = {int64_t{1} << 62};  // (2 - 1) * 2^62 + offset wraps around
  t.offset = int64_t{3} << 61;
  EXPECT_NE(error_for(legacy_checkpoint(t)).find("reaches past the end"), std::string::npos);
  t.offset = -1;
  t.strides = {1};
  EXPECT_NE(error_for(legacy_checkpoint(t)).find("reaches past the end"), std::string::npos);
}

TEST_F(HostileCheckpoint, NegativeStorageSize) {
  CraftedTensor t;
  t.storage_numel = -1;
  EXPECT_NE(error_for(legacy_checkpoint(t)).find("has -1 elements"), std::string::npos);
}

TEST_F(HostileCheckpoint, AMillionNestedTuples) {
  const std::string root = PickleWriter().op("N").op(std::string(1'000'000, '\x85')).finish();
  EXPECT_NE(error_for(legacy_checkpoint(root)).find("nest deeper than 100 levels"),
            std::string::npos);
}

TEST_F(HostileCheckpoint, AListThatContainsItself) {
  // EMPTY_LIST, BINPUT 0, BINGET 0, APPEND: a cycle (it leaked under reference counting).
  const std::string root = PickleWriter()
                               .op("]q\x00h\x00"
                                   "a"s)
                               .finish();
  EXPECT_NE(error_for(legacy_checkpoint(root)).find("holds a list, not a dict"), std::string::npos);
  // A dict that holds itself under "k": no tensors in it, and nothing leaks.
  const std::string dict = PickleWriter().op("}q\x00X\x01\x00\x00\x00kh\x00s"s).finish();
  const std::string path = dir_.write("self.pth", legacy_checkpoint(dict));
  EXPECT_TRUE(read_checkpoint(path).tensors.empty());
}

TEST_F(HostileCheckpoint, AHugeMemoIndexAllocatesNothing) {
  // LONG_BINPUT 0x00fffffe used to size a table of 16 M entries.
  const std::string root = PickleWriter().op("}r\xfe\xff\xff\x00"s).finish();
  const std::string path = dir_.write("memo.pth", legacy_checkpoint(root));
  EXPECT_EQ(error_of([&] { read_checkpoint(path); }), testing::kNoError);
}

TEST_F(HostileCheckpoint, EndlessObjects) {
  std::string ops;
  for (int i = 0; i < 300'000; ++i) ops += "N0";  // None, POP
  const std::string root = PickleWriter().op(ops).op("}").finish();
  EXPECT_NE(error_for(legacy_checkpoint(root)).find("more than 262144 objects"), std::string::npos);
}

}  // namespace
}  // namespace nst
