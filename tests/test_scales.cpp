// Coarse to fine (nst/scales.h): the schedule of sizes and iterations, what prepare() makes of
// it (every scale's pictures resized from the originals, auto lowered where a picture would be
// too small, an explicit count refused there), and a run across scales.
#include <gtest/gtest.h>

#include "nst/job.h"
#include "nst/resize.h"
#include "nst/scales.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::all_close;
using testing::error_of;
using testing::random_tensor;

Tensor picture(int height, int width, uint64_t seed) {
  return random_tensor(Shape{1, 3, height, width}, seed, 0.0f, 1.0f);
}

TEST(Scales, AutoRunsTwoScalesFrom256Pixels) {
  EXPECT_EQ(auto_scale_count(16), 1);
  EXPECT_EQ(auto_scale_count(255), 1);
  EXPECT_EQ(auto_scale_count(256), 2);
  EXPECT_EQ(auto_scale_count(512), 2);
  EXPECT_EQ(auto_scale_count(4096), 2);
}

TEST(Scales, EachScaleIsTwiceThePreviousAndTheLastRunsTheIterations) {
  JobSettings s;
  s.size = 700;
  s.iterations = 300;
  s.coarse_iterations = 80;
  const std::vector<Scale> schedule = scale_schedule(s, 3);
  ASSERT_EQ(schedule.size(), 3u);
  EXPECT_EQ(schedule[0].size, 175);
  EXPECT_EQ(schedule[1].size, 350);
  EXPECT_EQ(schedule[2].size, 700);
  EXPECT_EQ(schedule[0].iterations, 80);
  EXPECT_EQ(schedule[1].iterations, 80);
  EXPECT_EQ(schedule[2].iterations, 300);
  EXPECT_EQ(total_iterations(s, 3), 460);
  EXPECT_EQ(scale_schedule(s, 1).size(), 1u);
  EXPECT_EQ(scale_schedule(s, 1)[0].size, 700);
  EXPECT_EQ(planned_scale_count(s), 2);  // auto at 700
  s.size = 200;
  EXPECT_EQ(planned_scale_count(s), 1);
  s.scales = 4;
  EXPECT_EQ(planned_scale_count(s), 4);
}

Job two_scale_job() {
  Job job;
  job.content = ImageSource::image(picture(60, 80, 1), "the content");
  job.styles = {ImageSource::image(picture(50, 50, 2), "the style")};
  job.settings.size = 64;
  job.settings.scales = 2;
  job.settings.iterations = 5;
  job.settings.coarse_iterations = 3;
  job.settings.style_scale = 0.5;
  job.settings.content_layers = {"relu2_1"};
  job.settings.style_layers = {"relu1_1", "relu2_1"};
  return job;
}

TEST(Scales, EveryScaleIsResizedFromTheOriginals) {
  const Job job = two_scale_job();
  const PreparedJob prepared = prepare(job);
  ASSERT_EQ(prepared.scales.size(), 2u);
  const Tensor& content = job.content.decoded;
  const Tensor& style = job.styles[0].decoded;
  EXPECT_TRUE(all_close(prepared.scales[0].content, resize_image(content, {32, 24}), 0, 0));
  EXPECT_TRUE(all_close(prepared.scales[1].content, resize_image(content, {64, 48}), 0, 0));
  // --style-scale holds at every scale: half the content's longest side.
  EXPECT_TRUE(all_close(prepared.scales[0].styles[0], resize_image(style, {16, 16}), 0, 0));
  EXPECT_TRUE(all_close(prepared.scales[1].styles[0], resize_image(style, {32, 32}), 0, 0));
  EXPECT_EQ(prepared.scales[0].iterations, 3);
  EXPECT_EQ(prepared.scales[1].iterations, 5);
  EXPECT_EQ(prepared.total_iterations(), 8);
  EXPECT_TRUE(all_close(prepared.initial(), prepared.scales[0].content, 0, 0));
}

TEST(Scales, AutoIsLoweredWhereAPictureWouldBeTooSmallAndACountIsRefused) {
  Job job = two_scale_job();
  job.settings.style_layers = {"relu1_1", "relu5_1"};  // 16 pixels at least on each side
  job.settings.style_scale = 0.25;
  job.content = ImageSource::image(picture(24, 128, 3), "a panorama");
  job.settings.scales.reset();
  job.settings.size = 512;  // auto: 2 scales, the first 256x48
  EXPECT_EQ(prepare(job).scales.size(), 2u);
  job.settings.size = 160;  // 1 scale
  EXPECT_EQ(prepare(job).scales.size(), 1u);
  job.settings.size = 256;  // auto: 2 scales, but 128x24 then 256x48 ... fine
  EXPECT_EQ(prepare(job).scales.size(), 2u);
  job.content = ImageSource::image(picture(12, 128, 3), "a strip");
  job.settings.size = 256;  // auto would start at 128x12: too small, so one scale
  EXPECT_EQ(prepare(job).scales.size(), 1u);
  job.settings.size = 512;  // at 3 scales 128x12: too small
  auto flags = [](std::string_view field) {
    return field == "scales" ? std::string("--scales") : "--" + std::string(field);
  };
  job.settings.scales = 3;
  EXPECT_EQ(error_of([&] { prepare(job, flags); }),
            "--scales 3 starts at a size where a picture is 12 pixels on its short side; the "
            "deepest layer used needs at least 16 (each VGG19 pool before it halves the image): "
            "use --scales 2 or fewer, or raise --size");
  try {
    prepare(job);
    FAIL() << "expected a SettingError";
  } catch (const SettingError& e) {
    EXPECT_EQ(e.field(), "scales");
  }
  job.settings.scales = 0;
  EXPECT_EQ(error_of([&] { prepare(job); }),
            "scales must be auto or a whole number of at least 1, got 0");
}

class Recorder : public JobObserver {
 public:
  void on_iteration(const IterationLosses& losses, const Tensor& picture) override {
    rows.push_back(losses);
    sizes.push_back(image_size(picture));
  }
  std::vector<IterationLosses> rows;
  std::vector<ImageSize> sizes;
};

TEST(Scales, ARunGoesThroughTheScalesCountingIterationsOverAll) {
  nn::Vgg19 model;
  model.init_random(3);
  const PreparedJob prepared = prepare(two_scale_job());
  Recorder recorder;
  const JobResult result = run_job(prepared, model, &recorder);
  EXPECT_EQ(result.iterations, 8);
  ASSERT_EQ(recorder.rows.size(), 8u);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(recorder.rows[i].iteration, i + 1);
    EXPECT_EQ(recorder.rows[i].scale, i < 3 ? 1 : 2);
    EXPECT_EQ(recorder.sizes[i].width, i < 3 ? 32 : 64);
  }
  EXPECT_EQ(image_size(result.image).width, 64);
  EXPECT_EQ(image_size(result.image).height, 48);
}

// --scales 1 is the single-scale run exactly, and auto at small sizes is --scales 1.
TEST(Scales, OneScaleIsTheSingleScaleRun) {
  nn::Vgg19 model;
  model.init_random(3);
  Job job = two_scale_job();
  job.settings.scales = 1;
  Recorder one, automatic;
  const JobResult a = run_job(prepare(job), model, &one);
  job.settings.scales.reset();
  const JobResult b = run_job(prepare(job), model, &automatic);
  EXPECT_EQ(a.iterations, 5);
  ASSERT_EQ(one.rows.size(), automatic.rows.size());
  for (std::size_t i = 0; i < one.rows.size(); ++i)
    EXPECT_EQ(one.rows[i].total, automatic.rows[i].total);
  EXPECT_TRUE(all_close(a.image, b.image, 0, 0));
}

}  // namespace
}  // namespace nst
