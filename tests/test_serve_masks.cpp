// Masks through the service (nst/style_masks.h): the form's style-mask-N and
// style-source-mask-N parts, kept with the job, given back, and run, in the embedded mode and
// in the Redis mode; and the parts it refuses.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/redis_runner.h"
#include "tests/serve_runner.h"

namespace nst::testing {
namespace {

using nlohmann::json;

// A black-and-white PNG, white where `inside(x, y)`.
template <typename Inside>
std::string mask_png(int w, int h, Inside inside) {
  Tensor mask(Shape{1, 3, h, w});
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) mask.data()[(c * h + y) * w + x] = inside(x, y) ? 1.0f : 0.0f;
    }
  }
  const std::vector<uint8_t> png = encode_image(mask, ImageFormat::png);
  return {png.begin(), png.end()};
}

Tensor decoded(const std::string& png, const std::string& name) {
  return decode_image({reinterpret_cast<const uint8_t*>(png.data()), png.size()}, name);
}

// The mean absolute difference of two pictures of one size over columns [from, to).
double mean_difference(const Tensor& a, const Tensor& b, int from, int to) {
  const int h = static_cast<int>(a.dim(2)), w = static_cast<int>(a.dim(3));
  double sum = 0;
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < h; ++y) {
      for (int x = from; x < to; ++x) {
        const int at = (c * h + y) * w + x;
        sum += std::abs(a.data()[at] - b.data()[at]);
      }
    }
  }
  return sum / (3.0 * h * (to - from));
}

class ServeMasks : public ::testing::Test {
 protected:
  TempDir dir;
  // 96x48: the mask's edge at x = 48 is 36 pixels from the right side, past the reach of
  // relu1_1 and relu2_1 (12 pixels, nst/tiling.h).
  const std::string photo = picture_png(96, 48, 3);
  const std::string painting = picture_png(40, 40, 11);
  const std::string left_half = mask_png(96, 48, [](int x, int) { return x < 48; });
  const std::string top_half = mask_png(40, 40, [](int, int y) { return y < 20; });
  const json options{{"size", 96},
                     {"iterations", 30},
                     {"tolerance", 0},
                     {"tv-weight", 0},
                     {"init", "content"},
                     {"style-weight", 1e6},
                     {"learning-rate", 0.05},
                     {"content-layers", "relu2_1"},
                     {"style-layers", "relu1_1,relu2_1"}};

  httplib::MultipartFormDataItems masked_form() const {
    httplib::MultipartFormDataItems form = job_form(photo, painting, options);
    form.push_back({"style-mask-0", left_half, "left.png", "image/png"});
    form.push_back({"style-source-mask-0", top_half, "top.png", "image/png"});
    return form;
  }

  // Submits the masked job and checks that its record and its uploads keep the masks, that it
  // runs, and that the style acted on the left half only: the right side, beyond the reach of
  // the mask's edge, keeps the photo (no TV term, and a start from the photo).
  std::string run_masked_job(httplib::Client& c) const {
    const auto submitted = c.Post("/api/jobs", masked_form());
    EXPECT_EQ(submitted->status, 201) << submitted->body;
    const json job = json_body(submitted);
    EXPECT_EQ(job["style_masks"], json::array({"left.png"})) << job;
    EXPECT_EQ(job["style_source_masks"], json::array({"top.png"})) << job;
    const std::string id = job["id"];
    const auto get = [&](const std::string& part) { return c.Get("/api/jobs/" + id + part); };
    EXPECT_EQ(get("/style-masks/0")->body, left_half);
    EXPECT_EQ(get("/style-masks/0")->get_header_value("Content-Type"), "image/png");
    EXPECT_EQ(get("/style-source-masks/0")->body, top_half);
    for (const std::string missing : {"/style-masks/1", "/style-source-masks/1", "/style-masks/x"})
      EXPECT_EQ(get(missing)->status, 404) << missing;

    const json done = wait_for_state(c, id, "done");
    EXPECT_EQ(done["state"], "done") << done;
    const Tensor result = decoded(get("/result")->body, "the result");
    const Tensor original = decoded(photo, "the photo");
    const double left = mean_difference(result, original, 0, 36);
    const double right = mean_difference(result, original, 72, 96);
    // Measured: left 0.29, right 0.0059. The right side is not exactly the photo: each
    // iteration the content term answers the changes next to the edge, a reach further, and
    // Adam's normalised steps make even its faint gradients a step of a grey level or two.
    EXPECT_GT(left, 0.1) << "the style did not act where the mask is white";
    EXPECT_LT(right, left / 20) << "the style acted where the mask is black";
    EXPECT_LT(right, 4.0 / 255) << "the style acted where the mask is black";
    return id;
  }
};

TEST_F(ServeMasks, EmbeddedModeKeepsAndRunsMasks) {
  ServeProcess server(dir.file("data"), "", dir.file("log"));
  httplib::Client c = server.client();
  const std::string id = run_masked_job(c);
  EXPECT_TRUE(std::filesystem::exists(dir.file("data/jobs/" + id + "/style-mask-0")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("data/jobs/" + id + "/style-source-mask-0")));

  // The record keeps the masks over a restart.
  server.stop(SIGTERM);
  ServeProcess again(dir.file("data"), "", dir.file("log2"));
  httplib::Client c2 = again.client();
  EXPECT_EQ(json_body(c2.Get("/api/jobs/" + id))["style_masks"], json::array({"left.png"}));
  EXPECT_EQ(c2.Get("/api/jobs/" + id + "/style-masks/0")->body, left_half);
}

TEST_F(ServeMasks, RedisModeKeepsRunsAndDeletesMasks) {
  RedisProcess redis(dir.file(""));
  ServeProcess api("--queue " + redis.url(), dir.file("api.log"));
  WorkerProcess worker(redis.url(), "w", "", dir.file("worker.log"));
  httplib::Client c = api.client();
  const std::string id = run_masked_job(c);
  const std::string keys = redis.reply("KEYS nst:job:" + id + ":*mask*");
  EXPECT_NE(keys.find("nst:job:" + id + ":style-mask:0"), std::string::npos) << keys;
  EXPECT_NE(keys.find("nst:job:" + id + ":style-source-mask:0"), std::string::npos) << keys;
  ASSERT_EQ(c.Delete("/api/jobs/" + id)->status, 200);
  EXPECT_EQ(redis.reply("KEYS nst:job:" + id + "*"), "\n");  // nothing left of it
}

// Each refused with 400 and a message naming the part, before anything is stored; a black
// mask passes the form's checks (its header is fine) and fails the job, saying why.
TEST_F(ServeMasks, BadMaskPartsAreRefused) {
  ServeProcess server(dir.file("data"), "", dir.file("log"));
  httplib::Client c = server.client();
  const auto refused = [&](httplib::MultipartFormDataItems extra, const std::string& message) {
    httplib::MultipartFormDataItems form = job_form(photo, painting, options);
    form.insert(form.end(), extra.begin(), extra.end());
    const auto r = c.Post("/api/jobs", form);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_NE(r->body.find(message), std::string::npos) << r->body;
  };
  refused({{"style-mask-1", left_half, "m.png", "image/png"}},
          "style-mask-1: there is 1 painting, so the mask parts are style-mask-0");
  refused({{"style-source-mask-7", top_half, "m.png", "image/png"}},
          "style-source-mask-7: there is 1 painting");
  refused({{"style-mask-x", left_half, "m.png", "image/png"}}, "style-mask-x: there is 1 painting");
  refused({{"style-mask-", left_half, "m.png", "image/png"}}, "style-mask-: there is 1 painting");
  refused({{"style-mask-00", left_half, "m.png", "image/png"}},
          "style-mask-00: there is 1 painting");
  refused({{"style-mask-0", left_half, "a.png", "image/png"},
           {"style-mask-0", left_half, "b.png", "image/png"}},
          "style-mask-0: sent twice");
  refused({{"style-mask-0", "not a picture", "m.txt", "text/plain"}}, "style mask 1 (m.txt)");
  refused({{"style-mask-0", "", "m.png", "image/png"}}, "style mask 1 (m.png)");
  refused({{"style-mask", left_half, "m.png", "image/png"}}, "unknown form field 'style-mask'");
  EXPECT_EQ(count_entries(dir.file("data/jobs")), 0u);

  httplib::MultipartFormDataItems form = job_form(photo, painting, options);
  form.push_back(
      {"style-mask-0", mask_png(96, 48, [](int, int) { return false; }), "black.png", "image/png"});
  const auto submitted = c.Post("/api/jobs", form);
  ASSERT_EQ(submitted->status, 201) << submitted->body;
  const json failed = wait_for_state(c, json_body(submitted)["id"], "failed");
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_EQ(failed["error"],
            "style-mask-N: style mask 1 (black.png) is black everywhere, so style 1 would act "
            "nowhere; white marks where it acts")
      << failed;
}

}  // namespace
}  // namespace nst::testing
