// nst serve end to end: a real server process on a free loopback port, driven over HTTP as a
// client would, with an untrained network at small sizes.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <thread>

#include "nst/run_pace.h"
#include "nst/settings.h"
#include "tests/serve_runner.h"

namespace nst::testing {
namespace {

using nlohmann::json;

httplib::MultipartFormDataItems form(const std::string& content, const std::string& style,
                                     const json& options) {
  return job_form(content, style, options);
}

json body(const httplib::Result& r) { return json_body(r); }

class Serve : public ::testing::Test {
 protected:
  TempDir dir;
  const std::string photo = picture_png(64, 48, 3);
  const std::string painting = picture_png(40, 40, 7);
  const json small{{"size", 48}, {"iterations", 20}};

  json submit(httplib::Client& c, const json& options) {
    return submit_job(c, photo, painting, options);
  }
  json wait_until(httplib::Client& c, const std::string& id, const std::string& state) {
    return wait_for_state(c, id, state);
  }

  std::size_t job_folders() const { return count_entries(dir.file("data/jobs")); }
};

TEST_F(Serve, RoundTripSubmitWatchFetchAndDelete) {
  ServeProcess server(dir.file("data"), "", dir.file("log"));
  httplib::Client c = server.client();

  const auto health = c.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  const auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("<title>nst"), std::string::npos);

  const json job = submit(
      c,
      {{"size", 48}, {"iterations", 20}, {"style-weight", 1e3}, {"preserve-colors", "luminance"}});
  const std::string id = job["id"];
  EXPECT_EQ(id.size(), 32u);  // 128 bits
  EXPECT_TRUE(job["state"] == "queued" || job["state"] == "running") << job;
  EXPECT_EQ(job["iterations"], 20);
  EXPECT_EQ(job["content"], "photo.png");

  // The event stream: state changes and one event per iteration, ending when the job is done.
  std::string events;
  const auto stream = c.Get("/api/jobs/" + id + "/events", [&](const char* data, size_t size) {
    events.append(data, size);
    return true;
  });
  ASSERT_TRUE(stream);
  EXPECT_EQ(stream->get_header_value("Content-Type"), "text/event-stream");
  for (int i = 1; i <= 20; ++i) {
    EXPECT_NE(events.find("\"iteration\":" + std::to_string(i) + ","), std::string::npos)
        << "no event for iteration " << i;
  }
  EXPECT_NE(events.find("event: state\ndata: {"), std::string::npos);
  EXPECT_NE(events.find("\"state\":\"running\""), std::string::npos);
  EXPECT_NE(events.find("\"state\":\"done\""), std::string::npos);

  const json done = wait_until(c, id, "done");
  EXPECT_EQ(done["state"], "done");
  EXPECT_EQ(done["iteration"], 20);
  EXPECT_TRUE(done["losses"]["total"].is_number()) << done;
  for (const char* time : {"created", "started", "finished"})
    EXPECT_TRUE(done[time].is_string()) << time;

  const auto png = c.Get("/api/jobs/" + id + "/result");
  ASSERT_TRUE(png);
  ASSERT_EQ(png->status, 200);
  EXPECT_EQ(png->get_header_value("Content-Type"), "image/png");
  const Tensor result = decode_image(
      {reinterpret_cast<const uint8_t*>(png->body.data()), png->body.size()}, "result");
  EXPECT_EQ(image_size(result).width, 48);
  EXPECT_EQ(image_size(result).height, 36);
  const auto jpeg = c.Get("/api/jobs/" + id + "/result?format=jpeg");
  ASSERT_TRUE(jpeg);
  EXPECT_EQ(jpeg->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(static_cast<unsigned char>(jpeg->body[0]), 0xFF);
  const auto preview = c.Get("/api/jobs/" + id + "/preview");
  ASSERT_TRUE(preview);
  EXPECT_EQ(preview->status, 200);
  const auto losses = c.Get("/api/jobs/" + id + "/losses");
  ASSERT_TRUE(losses);
  EXPECT_EQ(losses->body.rfind("iteration,total,content,style,tv\n1,", 0), 0u) << losses->body;

  const auto list = c.Get("/api/jobs");
  ASSERT_TRUE(list);
  ASSERT_EQ(body(list)["jobs"].size(), 1u);
  EXPECT_EQ(body(list)["jobs"][0]["id"], id);

  const auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("nst_jobs{state=\"done\"} 1\n"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("nst_queue_length 0\n"), std::string::npos);
  EXPECT_NE(metrics->body.find("# TYPE nst_iterations_per_second gauge"), std::string::npos);

  const auto deleted = c.Delete("/api/jobs/" + id);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 200);
  EXPECT_EQ(c.Get("/api/jobs/" + id)->status, 404);
  EXPECT_EQ(c.Get("/api/jobs/" + id + "/result")->status, 404);
  EXPECT_EQ(job_folders(), 0u) << "the job's files are still there";
}

// A preview is for a page: a picture wider than 1024 pixels is shrunk to 1024, the result not.
TEST_F(Serve, PreviewsOfLargePicturesAreShrunk) {
  ServeProcess server(dir.file("data"), "", dir.file("log"));
  httplib::Client c = server.client();
  const std::string wide = picture_png(1040, 32, 5);  // cheap: 32 rows
  const std::string id = submit_job(c, wide, painting, {{"size", 1040}, {"iterations", 1}})["id"];
  wait_until(c, id, "done");
  auto size_of = [&](const std::string& path) {
    const auto r = c.Get("/api/jobs/" + id + path);
    EXPECT_TRUE(r && r->status == 200) << path;
    if (!r || r->status != 200) return ImageSize{};
    return image_size(
        decode_image({reinterpret_cast<const uint8_t*>(r->body.data()), r->body.size()}, path));
  };
  EXPECT_EQ(to_string(size_of("/result")), "1040x32");
  EXPECT_EQ(to_string(size_of("/preview")), "1024x32");  // 31.5 rows round to 32
}

TEST_F(Serve, StateEventsCarryTheRecordAsItWasThen) {
  ServeProcess server(dir.file("data"), "", dir.file("log"));
  httplib::Client c = server.client();
  const std::string id = submit(c, {{"size", 48}, {"iterations", 6}})["id"];
  expect_state_events_carry_the_record(c, id, 6);
}

// With tolerance 1 the job converges once its last window gained under a twentieth of all it
// gained (nst/convergence.h), well before its cap: its record, its events and its loss log say
// so, and its iterations shrink to what ran.
TEST_F(Serve, AConvergedJobSaysWhyItEnded) {
  ServeProcess server(dir.file("data"), "", dir.file("log"));
  httplib::Client c = server.client();
  const std::string id = submit(c, {{"size", 48},
                                    {"iterations", 300},
                                    {"scales", 1},
                                    {"tolerance", 1},
                                    {"tolerance-window", 2}})["id"];
  const std::vector<SseEvent> events = follow_events(c, id);
  const json done = wait_until(c, id, "done");
  const int end = done["iteration"];
  EXPECT_LT(end, 300) << done;
  EXPECT_EQ(done["iterations"], end) << done;
  const std::string said = "converged at iteration " + std::to_string(end) + ": the loss fell ";
  EXPECT_EQ(done["ending"].get<std::string>().rfind(said, 0), 0u) << done;
  int converged = 0;
  for (const SseEvent& event : events) {
    if (event.type != "converged") continue;
    ++converged;
    EXPECT_EQ(event.data["scale"], 1) << event.data;
    EXPECT_EQ(event.data["iteration"], end) << event.data;
    EXPECT_EQ(event.data["iterations"], end) << event.data;
    EXPECT_EQ(event.data["reason"], done["ending"]) << event.data;
  }
  EXPECT_EQ(converged, 1);
  EXPECT_EQ(events.back().data["ending"], done["ending"]);
  const std::string log = c.Get("/api/jobs/" + id + "/losses")->body;
  EXPECT_TRUE(log.ends_with("\n# " + done["ending"].get<std::string>() + "\n")) << log;
}

// The uploads come back byte for byte (for a page to show them and to run the job again), and
// a gallery's thumbnail is the result shrunk to 192 pixels, the photo's before any picture.
TEST_F(Serve, UploadsAndThumbnailsAreThere) {
  ServeProcess server(dir.file("data"), "", dir.file("log"));
  httplib::Client c = server.client();
  const std::string wide = picture_png(400, 24, 5);  // cheap: 24 rows
  const std::string second = picture_png(30, 20, 2);
  httplib::MultipartFormDataItems form =
      job_form(wide, painting, {{"size", 400}, {"iterations", 2}});
  form.push_back({"style", second, "second.png", "image/png"});
  const auto submitted = c.Post("/api/jobs", form);
  ASSERT_EQ(submitted->status, 201) << submitted->body;
  const std::string id = json_body(submitted)["id"];
  const auto get = [&](const std::string& part) { return c.Get("/api/jobs/" + id + part); };
  const auto size_of = [](const std::string& png) {
    return to_string(image_size(
        decode_image({reinterpret_cast<const uint8_t*>(png.data()), png.size()}, "thumbnail")));
  };
  EXPECT_EQ(get("/content")->body, wide);
  EXPECT_EQ(get("/content")->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(get("/styles/0")->body, painting);
  EXPECT_EQ(get("/styles/1")->body, second);
  for (const std::string missing : {"/styles/2", "/styles/999", "/styles/1000", "/styles/-1"})
    EXPECT_EQ(get(missing)->status, 404) << missing;
  const auto early = get("/thumbnail");  // the photo's, or an early preview's
  ASSERT_EQ(early->status, 200);
  EXPECT_EQ(size_of(early->body), "192x12");
  wait_until(c, id, "done");
  const auto done = get("/thumbnail");
  ASSERT_EQ(done->status, 200);
  EXPECT_EQ(size_of(done->body), "192x12");
  EXPECT_EQ(done->get_header_value("Cache-Control"), "private, max-age=86400");
  ASSERT_EQ(c.Delete("/api/jobs/" + id)->status, 200);
  EXPECT_EQ(get("/thumbnail")->status, 404);
  EXPECT_EQ(get("/content")->status, 404);
}

// A run of two scales: each iteration event says where it stands in its scale, and the time
// left (nst/run_pace.h, whose arithmetic is tested there) is never negative and 0 at the end.
TEST_F(Serve, IterationEventsSayTheScaleAndTheTimeLeft) {
  ServeProcess server(dir.file("data"), "", dir.file("log"));
  httplib::Client c = server.client();
  const std::string id = submit(c, {{"size", 64},
                                    {"scales", 2},
                                    {"coarse-iterations", 4},
                                    {"iterations", 3},
                                    {"tolerance", 0}})["id"];
  const std::vector<SseEvent> events = follow_events(c, id);
  std::vector<std::string> seen;
  for (const SseEvent& event : events) {
    if (event.type != "iteration") continue;
    const json& e = event.data;
    EXPECT_EQ(e["iterations"], 7) << e;
    EXPECT_EQ(e["scales"], 2) << e;
    EXPECT_GE(e["seconds_left"].get<double>(), 0.0) << e;
    if (e["iteration"] == 7) {
      EXPECT_EQ(e["seconds_left"], 0.0) << e;
    }
    seen.push_back(e["scale"].dump() + ":" + e["scale_iteration"].dump() + "/" +
                   e["scale_iterations"].dump());
  }
  const std::vector<std::string> expected{"1:1/4", "1:2/4", "1:3/4", "1:4/4",
                                          "2:1/3", "2:2/3", "2:3/3"};
  EXPECT_EQ(seen, expected);
}

// A job's plan and time before its pictures are sent: no time before the server has a speed
// to go by, then the plan's work at the speed its done job recorded.
TEST_F(Serve, EstimatesGoByTheSpeedOfDoneJobs) {
  ServeProcess server(dir.file("data"), "", dir.file("log"));
  httplib::Client c = server.client();
  // Two paintings of one size count as two: the blend's three weights match three styles.
  const std::string query = "/api/estimate?content=640x480&styles=300x200,90x90,90x90";
  const std::string options = R"({"size": 64, "scales": 2, "coarse-iterations": 5,
                                  "iterations": 7, "style-blend": [1, 2, 3]})";
  const json before = json_body(c.Post(query, options, "application/json"));
  EXPECT_TRUE(before["seconds"].is_null()) << before;
  EXPECT_EQ(before["iterations"], 12) << before;
  EXPECT_EQ(before["scales"], json::parse(R"([{"width": 32, "height": 24, "iterations": 5},
                                              {"width": 64, "height": 48, "iterations": 7}])"));
  EXPECT_GT(before["memory"].get<double>(), 0) << before;

  const std::string id = submit(c, {{"size", 48}, {"iterations", 6}, {"tolerance", 0}})["id"];
  const json done = wait_until(c, id, "done");
  const double speed = done["speed"];
  EXPECT_GT(speed, 0) << done;
  const json after = json_body(c.Post(query, options, "application/json"));
  EXPECT_EQ(after["speed"]["jobs"], 1) << after;
  EXPECT_EQ(after["speed"]["pixel_iterations_per_second"], speed) << after;
  const double fixed = nst::kIterationOverheadPixels;  // per iteration (nst/run_pace.h)
  EXPECT_DOUBLE_EQ(after["seconds"].get<double>(),
                   (5 * (32 * 24 + fixed) + 7 * (64 * 48 + fixed)) / speed)
      << after;

  // Refused as a submission would be, with the reason.
  for (const auto& [path, body, fragment] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"/api/estimate?styles=5x5", "", "give the pictures' sizes"},
           {"/api/estimate?content=5x5x5&styles=5x5", "", "content: the size '5x5x5'"},
           {"/api/estimate?content=5x5&styles=5x5,", "", "style 2: the size ''"},
           {"/api/estimate?content=5x5&styles=" + std::string(10, ','), "", "11 styles; this"},
           {query, R"({"size": "big"})", "size: 'big' is not a whole number"},
           {query, R"({"output": "/etc/passwd"})", "output"},
           {query, "{", "options"},
           {"/api/estimate?content=100000x2&styles=5x5", "", "content: the size"}}) {
    const auto r = c.Post(path, body, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << path << " " << body;
    EXPECT_NE(r->body.find(fragment), std::string::npos) << path << " " << body << ": " << r->body;
  }
}

// The settings a client may send, with the server's defaults and caps: what the page builds
// its form from.
TEST_F(Serve, SettingsListTheDefaultsAndTheServersCaps) {
  ServeProcess server(dir.file("data"), "--max-iterations 700 --max-styles 3", dir.file("log"));
  httplib::Client c = server.client();
  const json body = json_body(c.Get("/api/settings"));
  std::map<std::string, json> by_name;
  for (const json& setting : body["settings"]) by_name[setting["name"]] = setting;
  const nst::JobSettings defaults;
  EXPECT_EQ(by_name["size"]["default"], defaults.size);
  EXPECT_EQ(by_name["size"]["minimum"], 16);
  EXPECT_EQ(by_name["style-weight"]["default"], defaults.style_weight);
  EXPECT_EQ(by_name["learning-rate"]["above"], 0);
  EXPECT_EQ(by_name["adam-beta2"]["default"], defaults.adam_beta2);
  EXPECT_EQ(by_name["adam-beta2"]["below"], 1);
  EXPECT_EQ(by_name["style-layers"]["default"], json(defaults.style_layers));
  EXPECT_EQ(by_name["scales"]["default"], "auto");
  EXPECT_EQ(by_name["optimizer"]["choices"], json({"adam", "lbfgs"}));
  EXPECT_EQ(by_name["iterations"]["maximum"], 700);
  EXPECT_EQ(by_name["jpeg-quality"]["default"], 95);
  EXPECT_FALSE(by_name["iterations"]["help"].get<std::string>().empty());
  EXPECT_EQ(by_name.count("threads"), 0u) << "the server's to choose, not a client's";
  EXPECT_EQ(body["limits"]["max-styles"], 3);
}

TEST_F(Serve, CancellingAQueuedAndARunningJob) {
  ServeProcess server(dir.file("data"), "", dir.file("log"));
  httplib::Client c = server.client();
  const std::string running = submit(c, {{"size", 48}, {"iterations", 5000}})["id"];
  const std::string queued = submit(c, small)["id"];
  ASSERT_EQ(wait_until(c, running, "running")["state"], "running");
  EXPECT_EQ(body(c.Get("/api/jobs/" + queued))["queue_position"], 1);
  // Before it is done, there is no result to fetch.
  EXPECT_EQ(c.Get("/api/jobs/" + running + "/result")->status, 409);

  const auto cancel_queued = c.Delete("/api/jobs/" + queued);
  ASSERT_TRUE(cancel_queued);
  EXPECT_EQ(body(cancel_queued)["state"], "cancelled");
  const auto cancel_running = c.Delete("/api/jobs/" + running);
  ASSERT_TRUE(cancel_running);
  EXPECT_EQ(body(cancel_running)["state"], "cancelled");
  // The worker stops it within an iteration, and is free for the next job.
  const std::string next = submit(c, small)["id"];
  EXPECT_EQ(wait_until(c, next, "done")["state"], "done");
  const json stopped = body(c.Get("/api/jobs/" + running));
  EXPECT_EQ(stopped["state"], "cancelled");
  EXPECT_LT(stopped["iteration"].get<int>(), 5000);
  // Deleting a cancelled job removes it and its files.
  EXPECT_EQ(c.Delete("/api/jobs/" + running)->status, 200);
  EXPECT_EQ(c.Get("/api/jobs/" + running)->status, 404);
  EXPECT_FALSE(std::filesystem::exists(dir.file("data/jobs/" + running)));
}

TEST_F(Serve, RefusesBadRequestsAndStoresNothing) {
  ServeProcess server(dir.file("data"), "--max-upload-mb 1", dir.file("log"));
  httplib::Client c = server.client();
  struct Case {
    httplib::MultipartFormDataItems items;
    int status;
    std::string message;
  };
  const std::string text = "just some text, no picture\n";
  std::string corrupt = photo;
  corrupt.resize(corrupt.size() / 2);
  const std::vector<Case> cases{
      {form(text, painting, small), 400, "not a PNG or JPEG image"},
      {form(photo, text, small), 400, "style 1 (painting.png): not a PNG or JPEG"},
      {form(photo, painting, {{"sise", 48}}), 400, "unknown option 'sise'"},
      {form(photo, painting, {{"size", "big"}}), 400, "size: 'big' is not a whole number"},
      {form(photo, painting, {{"style-weight", -1}}), 400, "style-weight"},
      {form(photo, painting, {{"optimizer", "sgd"}}), 400, "optimizer must be adam or lbfgs"},
      {form(photo, painting, {{"output", "/etc/passwd"}}), 400, "names a file on the server"},
      {form(photo, painting, {{"weights", "/tmp/w.pth"}}), 400, "names a file on the server"},
      {form(photo, painting, {{"loss-log", "x.csv"}}), 400, "names a file on the server"},
      {form(photo, painting, {{"resume", "r.nstresume"}}), 400, "the server resumes its own jobs"},
      {form(photo, painting, {{"print-every", 5}}), 400, "print-every: is a display option"},
      {form(photo, painting, {{"quiet", true}}), 400, "quiet: is a display option"},
      {form(photo, painting, {{"init", "/etc/hosts"}}), 400, "path on the server"},
      {form(photo, painting, {{"threads", 64}}), 400, "shares its cores"},
      {form(photo, painting, {{"size", 2}}), 400, "size must be at least 16"},
      // Judged by the job's plan from the headers, before anything is stored.
      {form(photo, painting, {{"size", 16}}), 400,
       "content (photo.png) is 16x12 at the working size; the deepest layer used needs at least"},
      {form(photo, painting, {{"max-memory", "1M"}}), 400, "this run would need about"},
      {{{"content", photo, "photo.png", "image/png"}}, 400, "no 'style' file"},
      {{{"style", painting, "p.png", "image/png"}}, 400, "no 'content' file"},
      {{{"content", photo, "a.png", ""},
        {"style", painting, "b.png", ""},
        {"options", "{not json", "", ""}},
       400,
       "options: not JSON"},
  };
  for (const Case& k : cases) {
    const auto r = c.Post("/api/jobs", k.items);
    ASSERT_TRUE(r) << k.message;
    EXPECT_EQ(r->status, k.status) << k.message << ": " << r->body;
    EXPECT_NE(r->body.find(k.message), std::string::npos) << r->body;
    EXPECT_TRUE(body(r)["error"].is_string()) << r->body;
  }
  // Over --max-upload-mb: 413, with a JSON reason.
  const std::string huge(1200 * 1024, 'x');
  const auto too_large = c.Post("/api/jobs", form(huge, painting, small));
  ASSERT_TRUE(too_large) << "no answer to an oversized upload";
  EXPECT_EQ(too_large->status, 413);
  EXPECT_NE(too_large->body.find("--max-upload-mb"), std::string::npos) << too_large->body;

  const auto not_multipart = c.Post("/api/jobs", "{}", "application/json");
  ASSERT_TRUE(not_multipart);
  EXPECT_EQ(not_multipart->status, 400);
  EXPECT_EQ(c.Get("/api/jobs/0123456789abcdef")->status, 404);

  EXPECT_EQ(body(c.Get("/api/jobs"))["jobs"].size(), 0u);
  EXPECT_EQ(job_folders(), 0u) << "a refused job left files behind";

  // A picture whose header is whole is taken; the worker decoding it finds the rest missing,
  // and the job fails saying so.
  const auto r = c.Post("/api/jobs", form(corrupt, painting, small));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const json failed = wait_until(c, body(r)["id"], "failed");
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_NE(
      failed["error"].get<std::string>().find("content (photo.png): corrupt or truncated PNG"),
      std::string::npos)
      << failed;
}

TEST_F(Serve, ATokenGuardsTheApi) {
  ServeProcess server(dir.file("data"), "--token s3cret", dir.file("log"));
  httplib::Client c = server.client();
  const auto none = c.Get("/api/jobs");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_NE(none->body.find("Authorization: Bearer"), std::string::npos);
  EXPECT_EQ(c.Post("/api/jobs", form(photo, painting, small))->status, 401);
  c.set_bearer_token_auth("wrong");
  EXPECT_EQ(c.Get("/api/jobs")->status, 401);
  c.set_bearer_token_auth("s3cret");
  EXPECT_EQ(c.Get("/api/jobs")->status, 200);
  httplib::Client anonymous = server.client();
  EXPECT_EQ(anonymous.Get("/healthz")->status, 200);  // for load balancers
  EXPECT_EQ(anonymous.Get("/")->status, 200);         // the page asks for the token itself
}

TEST_F(Serve, AFullQueueAnswers429) {
  ServeProcess server(dir.file("data"), "--max-queued 1", dir.file("log"));
  httplib::Client c = server.client();
  const std::string running = submit(c, {{"size", 48}, {"iterations", 5000}})["id"];
  ASSERT_EQ(wait_until(c, running, "running")["state"], "running");
  const std::string waiting = submit(c, small)["id"];
  const auto refused = c.Post("/api/jobs", form(photo, painting, small));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_NE(body(refused)["error"].get<std::string>().find("queue is full"), std::string::npos);
  EXPECT_EQ(body(c.Get("/api/jobs"))["jobs"].size(), 2u);
  c.Delete("/api/jobs/" + running);
  c.Delete("/api/jobs/" + waiting);
}

TEST_F(Serve, TwoClientsSubmittingAtOnce) {
  ServeProcess server(dir.file("data"), "--workers 2", dir.file("log"));
  std::string ids[2];
  std::thread clients[2];
  for (int i = 0; i < 2; ++i) {
    clients[i] = std::thread([&, i] {
      httplib::Client c = server.client();
      ids[i] = submit(c, {{"size", 48}, {"iterations", 10 + i}})["id"];
    });
  }
  for (std::thread& t : clients) t.join();
  ASSERT_NE(ids[0], ids[1]);
  httplib::Client c = server.client();
  for (int i = 0; i < 2; ++i) {
    const json done = wait_until(c, ids[i], "done");
    EXPECT_EQ(done["state"], "done") << done;
    EXPECT_EQ(done["iteration"], 10 + i);
  }
}

// A job accepted with 201 is never lost: the server killed with SIGKILL mid-job and started
// again on the same data continues it from its last resume file, and it ends exactly as a run
// that was never interrupted (each iteration counted once, the same picture).
TEST_F(Serve, KillDashNineMidJobThenRestartFinishesItAsIfUninterrupted) {
  const json options{{"size", 48}, {"iterations", 60}, {"scales", 1}};
  std::string id;
  {
    ServeProcess server(dir.file("data"), "--checkpoint-every 5", dir.file("log1"));
    httplib::Client c = server.client();
    id = submit(c, options)["id"];
    ASSERT_TRUE(wait_for(
        [&] {
          const auto r = c.Get("/api/jobs/" + id);
          return r && body(r)["iteration"].get<int>() >= 7 &&
                 std::filesystem::exists(dir.file("data/jobs/" + id + "/run.nstresume"));
        },
        120));
    EXPECT_EQ(server.stop(SIGKILL), 128 + SIGKILL);
  }
  ASSERT_TRUE(std::filesystem::exists(dir.file("data/jobs/" + id + "/run.nstresume")));

  ServeProcess server(dir.file("data"), "--checkpoint-every 5", dir.file("log2"));
  httplib::Client c = server.client();
  const json done = wait_until(c, id, "done");
  ASSERT_EQ(done["state"], "done") << done;
  const std::string log = read_bytes(dir.file("log2"));
  EXPECT_NE(log.find("interrupted by the last stop will continue"), std::string::npos) << log;
  EXPECT_NE(log.find("job " + id + " continues from iteration "), std::string::npos) << log;
  EXPECT_EQ(log.find("job " + id + " starts"), std::string::npos) << "it started over: " << log;

  // The same job, never interrupted.
  const std::string again = submit(c, options)["id"];
  ASSERT_EQ(wait_until(c, again, "done")["state"], "done");
  const std::string resumed_log = c.Get("/api/jobs/" + id + "/losses")->body;
  const std::string straight_log = c.Get("/api/jobs/" + again + "/losses")->body;
  // The header, 60 rows and why the run ended.
  EXPECT_EQ(std::count(resumed_log.begin(), resumed_log.end(), '\n'), 62);
  EXPECT_EQ(resumed_log, straight_log);
  EXPECT_EQ(c.Get("/api/jobs/" + id + "/result")->body,
            c.Get("/api/jobs/" + again + "/result")->body);
  EXPECT_FALSE(std::filesystem::exists(dir.file("data/jobs/" + id + "/run.nstresume")));
}

// A job keeps the settings it was taken with: a server restarted with other limits neither
// refuses its result nor changes it.
TEST_F(Serve, AJobKeepsItsSettingsWhenTheLimitsChange) {
  std::string id, jpeg;
  {
    ServeProcess server(dir.file("data"), "--max-iterations 30", dir.file("log1"));
    httplib::Client c = server.client();
    id = submit(c, {{"size", 48}, {"iterations", 20}, {"scales", 1}, {"jpeg-quality", 30}})["id"];
    ASSERT_EQ(wait_until(c, id, "done")["state"], "done");
    const auto r = c.Get("/api/jobs/" + id + "/result?format=jpeg");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    jpeg = r->body;
  }
  ServeProcess server(dir.file("data"), "--max-iterations 10", dir.file("log2"));
  httplib::Client c = server.client();
  const auto r = c.Get("/api/jobs/" + id + "/result?format=jpeg");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, jpeg) << "the JPEG's quality changed with the server";
  EXPECT_EQ(body(c.Get("/api/jobs/" + id))["iterations"], 20);
}

// SIGTERM saves running jobs; the next start continues them.
TEST_F(Serve, SigtermSavesTheRunningJobForTheNextStart) {
  std::string id;
  {
    ServeProcess server(dir.file("data"), "", dir.file("log1"));
    httplib::Client c = server.client();
    id = submit(c, {{"size", 48}, {"iterations", 60}})["id"];
    ASSERT_TRUE(wait_for([&] { return body(c.Get("/api/jobs/" + id))["iteration"] >= 5; }));
    EXPECT_EQ(server.stop(SIGTERM), 0);
  }
  EXPECT_NE(read_bytes(dir.file("log1")).find("job " + id + " saved at iteration"),
            std::string::npos)
      << read_bytes(dir.file("log1"));
  ServeProcess server(dir.file("data"), "", dir.file("log2"));
  httplib::Client c = server.client();
  EXPECT_EQ(wait_until(c, id, "done")["state"], "done");
  EXPECT_NE(read_bytes(dir.file("log2")).find("job " + id + " continues from iteration"),
            std::string::npos);
}

}  // namespace
}  // namespace nst::testing
