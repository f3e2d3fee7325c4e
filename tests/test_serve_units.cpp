// The service's small parts on their own: text checks, Host and Origin rules, the worker
// folders that a killed worker leaves behind, and how a job record keeps its settings.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "nst/run_pace.h"
#include "serve/estimate.h"
#include "serve/host_check.h"
#include "serve/job_events.h"
#include "serve/job_json.h"
#include "serve/job_record.h"
#include "serve/job_request.h"
#include "serve/job_runner.h"
#include "serve/job_store.h"
#include "serve/redis_client.h"
#include "serve/redis_jobs.h"
#include "serve/request_text.h"
#include "serve/server.h"
#include "serve/thumbnails.h"
#include "serve/work_folder.h"
#include "tensor/error.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"

namespace nst::serve {
namespace {

namespace fs = std::filesystem;

TEST(RequestText, Utf8IsCheckedByTheRules) {
  EXPECT_TRUE(is_utf8("photo.png"));
  EXPECT_TRUE(is_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\xA8"));  // é € 🎨
  EXPECT_FALSE(is_utf8("ph\xFFoto"));
  EXPECT_FALSE(is_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_utf8("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(is_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(is_utf8("\xE2\x82"));          // cut short
}

TEST(JobFailures, ClientsSeeNoServerPaths) {
  EXPECT_EQ(without_server_paths("/srv/nst/jobs/ab12/result.png: cannot write: No space left",
                                 "/srv/nst/jobs/ab12"),
            "result.png: cannot write: No space left");
  EXPECT_EQ(without_server_paths("cannot create /srv/nst/jobs/ab12", "/srv/nst/jobs/ab12"),
            "cannot create the job's folder");
  EXPECT_EQ(without_server_paths("style 1 (a.png): not a picture", "/srv"),
            "style 1 (a.png): not a picture");
}

TEST(RequestText, AnExcerptIsShortAndValid) {
  EXPECT_EQ(excerpt("short"), "short");
  const std::string cut = excerpt(std::string(1000, 'a'), 10);
  EXPECT_EQ(cut, "aaaaaaaaaa...");
  EXPECT_TRUE(
      is_utf8(excerpt("a\xFF"
                      "b")));
  EXPECT_EQ(excerpt("\xE2\x82\xAC\xE2\x82\xAC", 4), "\xE2\x82\xAC...");  // never half a character
}

TEST(RequestText, FileNamesAndOptionsAreBounded) {
  EXPECT_EQ(checked_file_name("photo.png", "content"), "photo.png");
  EXPECT_THROW(checked_file_name("a\nb.png", "content"), Error);
  EXPECT_THROW(checked_file_name(std::string(300, 'a'), "content"), Error);
  EXPECT_EQ(parse_options_text(R"({"size": 64, "style-layers": [1, 2]})")["size"], 64);
  EXPECT_THROW(parse_options_text("[[[[[1]]]]]"), Error);
  EXPECT_THROW(parse_options_text(std::string(kMaxOptionsBytes + 1, ' ')), Error);
  EXPECT_EQ(json_text(nlohmann::json("a\xFF")), "\"a\xEF\xBF\xBD\"");
}

TEST(HostCheck, AddressesLocalhostAndAllowedNamesOnly) {
  EXPECT_EQ(host_name("[::1]:8080"), "[::1]");
  EXPECT_EQ(host_name("Example.ORG:80"), "example.org");
  const std::vector<std::string> allowed{"nst.example.org"};
  for (const char* host : {"127.0.0.1", "[::1]", "localhost", "10.1.2.3", "nst.example.org", ""})
    EXPECT_TRUE(is_allowed_host(host, allowed)) << host;
  for (const char* host : {"evil.example.com", "127.0.0.1.evil.com", "[nonsense]"})
    EXPECT_FALSE(is_allowed_host(host, allowed)) << host;
  EXPECT_TRUE(is_allowed_origin("https://nst.example.org", allowed));
  EXPECT_FALSE(is_allowed_origin("https://evil.example.com", allowed));
  EXPECT_FALSE(is_allowed_origin("null", allowed));
}

// A page that reconnects with Last-Event-ID after the server restarted holds an id of the old
// run; the new run numbers the job's events from 1 again, so it must send them all.
TEST(JobEvents, ALastEventIdOfAnotherRunMeansFromTheStart) {
  JobEvents before, after;
  for (JobEvents* events : {&before, &after}) {
    events->open("j");
    for (int i = 0; i < 3; ++i) events->publish("j", "iteration", "{}");
  }
  const std::optional<EventBatch> all = before.next("j", 0, std::chrono::milliseconds(0));
  ASSERT_TRUE(all && all->events.size() == 3);
  const std::string second = all->events[1].id;
  EXPECT_EQ(before.seen(second), 2);
  EXPECT_EQ(before.next("j", before.seen(second), std::chrono::milliseconds(0))->events.size(), 1u);
  EXPECT_EQ(after.seen(second), 0) << second;
  EXPECT_NE(after.next("j", 0, std::chrono::milliseconds(0))->events[1].id, second);
  for (const char* odd : {"", "2", "end", "-2", "x-", "x-99999999999999999999"})
    EXPECT_EQ(before.seen(odd), 0) << odd;
  const std::string run = second.substr(0, second.find('-'));
  EXPECT_EQ(before.seen(run + "-"), 0);
  EXPECT_EQ(before.seen(run + "-2x"), 0);
  EXPECT_EQ(before.seen(run + "-1234567890"), 0);  // past any channel: refused, not overflowed
}

TEST(WorkFolder, AKilledWorkersFolderIsRemovedALiveOnesIsNot) {
  testing::TempDir dir;
  const std::string parent = dir.file("tmp");
  fs::create_directories(parent);
  // A worker killed with -9: its folder and lock file remain, the lock itself is gone.
  fs::create_directories(parent + "/nst-worker-dead01");
  std::ofstream(parent + "/nst-worker-dead01/lock").put('x');
  std::ofstream(parent + "/nst-worker-dead01/run.nstresume") << "resume";
  // A live worker holds its lock.
  fs::create_directories(parent + "/nst-worker-live01");
  const int held = ::open((parent + "/nst-worker-live01/lock").c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_EQ(::flock(held, LOCK_EX), 0);
  // Not ours.
  fs::create_directories(parent + "/other");
  {
    const WorkFolder folder(parent);
    EXPECT_TRUE(fs::exists(folder.path() + "/lock"));
    EXPECT_FALSE(fs::exists(parent + "/nst-worker-dead01"));
    EXPECT_TRUE(fs::exists(parent + "/nst-worker-live01"));
    EXPECT_TRUE(fs::exists(parent + "/other"));
    EXPECT_EQ(remove_stale_work_folders(parent), 0) << "removed the folder in use";
  }
  ::close(held);
  EXPECT_EQ(remove_stale_work_folders(parent), 1);  // the live one, once its lock is free
  EXPECT_EQ(std::distance(fs::directory_iterator(parent), fs::directory_iterator()), 1);
}

// A Redis restarting under a running worker answers LOADING for a while: waited out as an
// unreachable Redis is, not taken as the job's failure (seen once in CI, failing a job).
TEST(RedisErrors, NotReadyIsTellingFromWrong) {
  EXPECT_TRUE(redis_not_ready("LOADING Redis is loading the dataset in memory"));
  EXPECT_TRUE(redis_not_ready("BUSY Redis is busy running a script."));
  EXPECT_TRUE(redis_not_ready("MASTERDOWN Link with MASTER is down"));
  EXPECT_FALSE(redis_not_ready("ERR wrong number of arguments for 'hget' command"));
  EXPECT_FALSE(redis_not_ready("WRONGTYPE Operation against a key holding the wrong kind"));
  EXPECT_FALSE(redis_not_ready("LOADINGX"));
}

TEST(JobFailures, ResumeFilesOfEitherNamingContinue) {
  const std::vector<std::pair<std::string, std::string>> job{
      {"content", "c1"}, {"style 1", "s1"}, {"style 2", "s2"}};
  EXPECT_TRUE(same_inputs(job, job));
  EXPECT_TRUE(same_inputs({{"content", "c1"}, {"style-0", "s1"}, {"style-1", "s2"}}, job));
  EXPECT_FALSE(same_inputs({{"content", "c1"}, {"style-0", "s2"}, {"style-1", "s1"}}, job));
  EXPECT_FALSE(same_inputs({{"content", "c1"}, {"style-x", "s1"}, {"style-1", "s2"}}, job));
  EXPECT_FALSE(same_inputs({{"content", "c1"}, {"style 1", "s1"}}, job));
}

// Every setting off its default, lists empty and not, "auto" and a number of scales.
JobSettings unusual_settings() {
  JobSettings s;
  s.size = 97;
  s.style_scale = 0.1 + 0.2;  // not exact in binary: the text must keep every bit
  s.max_pixels = 123456;
  s.max_memory = int64_t{3} << 30;
  s.iterations = 7;
  s.optimizer = OptimizerKind::lbfgs;
  s.learning_rate = 1e-7;
  s.content_weight = 2.5;
  s.style_weight = 1e30;
  s.tv_weight = 0.001;
  s.content_layers = {};
  s.style_layers = {"relu1_1", "relu3_1"};
  s.style_blend = {2, 1.0 / 3};
  s.pooling = nn::Pooling::average;
  s.init = InitKind::noise;
  s.seed = 18446744073709551615u;
  s.preserve_colors = ColorMode::histogram;
  s.scales = 3;
  s.coarse_iterations = 11;
  s.encoding = {.jpeg_quality = 42, .png_compression = 1};
  s.threads = 3;
  return s;
}

TEST(JobRecordSettings, EverySettingSurvivesTheRecordExactly) {
  const JobSettings s = unusual_settings();
  const std::string text = settings_record_text(s);
  const JobSettings back = settings_from_record_text(text);
  EXPECT_EQ(settings_record_text(back), text);
  EXPECT_EQ(back.style_scale, s.style_scale);
  EXPECT_EQ(back.style_blend, s.style_blend);
  EXPECT_TRUE(back.content_layers.empty());
  EXPECT_EQ(back.seed, s.seed);
  EXPECT_EQ(back.scales, 3);
  EXPECT_EQ(back.encoding.png_compression, 1);
  EXPECT_EQ(settings_from_record_text(settings_record_text(JobSettings{})).scales, std::nullopt);
  // A setting newer than the record keeps its default.
  EXPECT_EQ(settings_from_record_text(R"({"size": "64"})").encoding.jpeg_quality,
            JobSettings{}.encoding.jpeg_quality);
}

TEST(JobRecordSettings, ADamagedRecordIsNamed) {
  struct Case {
    std::string text, fragment;
  };
  for (const Case& c : std::vector<Case>{{R"({"size": "big"})", "'big' is not a whole number"},
                                         {R"({"size": 64})", "size is not text"},
                                         {R"({"sise": "64"})", "unknown setting 'sise'"},
                                         {R"(["size"])", "not a JSON object"},
                                         {R"({"size": )", "parse error"}}) {
    const std::string& text = c.text;
    const std::string& fragment = c.fragment;
    // (Named, not a structured binding: clang 14 cannot capture one in a lambda.)
    const std::string m = nst::testing::error_of([&] { settings_from_record_text(text); });
    EXPECT_NE(m.find("a job record's settings are damaged"), std::string::npos) << m;
    EXPECT_NE(m.find(fragment), std::string::npos) << text << ": " << m;
  }
}

// A record with every field away from its default, odd text included.
JobRecord unusual_record() {
  JobRecord r;
  r.id = "0123456789abcdef0123456789abcdef";
  r.state = JobState::failed;
  r.options = {{"size", 64}, {"style-weight", 1e30}};
  r.settings = unusual_settings();
  r.content_name = "Ünïcode \"quoted\" photo.png";
  r.style_names = {"a.png", "b c.jpg"};
  r.style_mask_names = {"", "sky mask.png"};
  r.style_source_mask_names = {"ä.png", ""};
  r.iteration = 17;
  r.iterations = 400;
  r.losses = {{"total", 1.5}, {"content", 0.25}, {"style", 1.0}, {"tv", 0.25}};
  r.created = 1764790000.125;
  r.started = 1764790001.5;
  r.finished = 1764790099.875;
  r.error = "out of memory";
  r.ending = "converged at iteration 17: the loss fell 0.001% ...";
  r.worker = "host-1";
  r.speed = 1234567.0 / 3.0;  // no short decimal
  return r;
}

void expect_same_record(const JobRecord& a, const JobRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.options, b.options);
  ASSERT_EQ(a.settings.has_value(), b.settings.has_value());
  if (a.settings) {
    EXPECT_EQ(settings_record_text(*a.settings), settings_record_text(*b.settings));
  }
  EXPECT_EQ(a.content_name, b.content_name);
  EXPECT_EQ(a.style_names, b.style_names);
  EXPECT_EQ(a.style_mask_names, b.style_mask_names);
  EXPECT_EQ(a.style_source_mask_names, b.style_source_mask_names);
  EXPECT_EQ(a.iteration, b.iteration);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.losses, b.losses);
  EXPECT_EQ(a.created, b.created);  // milliseconds survive
  EXPECT_EQ(a.started, b.started);
  EXPECT_EQ(a.finished, b.finished);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.ending, b.ending);
  EXPECT_EQ(a.worker, b.worker);
  EXPECT_EQ(a.speed, b.speed);
}

TEST(JobRecordFields, EveryFieldSurvivesBothStoresExactly) {
  const JobRecord r = unusual_record();
  const RecordFields fields = record_fields(r);
  std::vector<std::string> names;
  for (const auto& field : fields) names.push_back(field.first);
  std::vector<std::string> listed = record_field_names();
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(names, listed);  // the list the stores' columns come from names every field
  expect_same_record(record_from_fields(fields), r);

  testing::TempDir dir;
  JobStore store(dir.file("jobs.db"));
  store.insert(r);
  const std::optional<JobRecord> back = store.get(r.id);
  ASSERT_TRUE(back);
  expect_same_record(*back, r);
}

// Uploads are named after the form's parts; Redis keeps a painting under :style:I as it did
// before masks, and a mask under :style-mask:I.
TEST(JobUploads, NamesFollowTheFormAndReadBackWithTheRecordsNames) {
  JobRecord r = unusual_record();  // masks {"", "sky mask.png"}, sources {"ä.png", ""}
  const std::vector<std::string> names{"content", "style-0", "style-1", "style-mask-1",
                                       "style-source-mask-0"};
  EXPECT_EQ(upload_names(r), names);
  const JobUploads uploads =
      read_uploads(r, [](const std::string& name) { return "<" + name + ">"; });
  std::vector<std::string> named;
  for (const auto& [name, upload] : named_uploads(uploads)) {
    named.push_back(name);
    EXPECT_EQ(upload->bytes, "<" + name + ">");
  }
  EXPECT_EQ(named, names);
  ASSERT_EQ(uploads.style_masks.size(), 2u);
  EXPECT_FALSE(uploads.style_masks[0]);
  EXPECT_EQ(uploads.style_masks[1]->filename, "sky mask.png");
  EXPECT_EQ(mask_names(uploads.style_masks, kStyleMaskPart), r.style_mask_names);
  // A mask sent without a file name still counts as one.
  EXPECT_EQ(mask_names({std::nullopt, Upload{"", "png"}}, kStyleSourceMaskPart),
            (std::vector<std::string>{"", "style-source-mask-1"}));

  const std::string id = r.id;
  EXPECT_EQ(redis::upload_key(id, "content"), "nst:job:" + id + ":content");
  EXPECT_EQ(redis::upload_key(id, "style-1"), "nst:job:" + id + ":style:1");
  EXPECT_EQ(redis::upload_key(id, "style-source-mask-0"), "nst:job:" + id + ":style-source-mask:0");
  const std::vector<std::string> keys = redis::all_job_keys(id, names);
  for (const std::string& name : names)
    EXPECT_EQ(std::count(keys.begin(), keys.end(), redis::upload_key(id, name)), 1) << name;
}

TEST(JobRecordFields, MissingFieldsKeepTheirDefaultsAndUnknownOnesArePassedOver) {
  const JobRecord r = record_from_fields({{"id", "x"}, {"state", "running"}, {"owner", "w#3"}});
  EXPECT_EQ(r.id, "x");
  EXPECT_EQ(r.state, JobState::running);
  EXPECT_FALSE(r.settings);
  EXPECT_EQ(r.iteration, 0);
  EXPECT_TRUE(r.losses.is_null());
  EXPECT_EQ(r.started, 0);
}

TEST(JobRecordFields, ADamagedFieldIsNamedWithItsJob) {
  struct Case {
    std::string field, text, fragment;
  };
  for (const Case& c : std::vector<Case>{{"iteration", "ten", "'ten' is not a number"},
                                         {"created", "1e", "not a number"},
                                         {"state", "sleeping", "unknown state 'sleeping'"},
                                         {"style_names", "[1]", "type must be string"},
                                         {"options", "{", "parse error"},
                                         {"settings", "[]", "settings are damaged"}}) {
    const RecordFields fields{{"id", "job7"}, {c.field, c.text}};
    const std::string m = nst::testing::error_of([&] { record_from_fields(fields); });
    EXPECT_NE(m.find("job job7: the record's " + c.field + " is damaged"), std::string::npos) << m;
    EXPECT_NE(m.find(c.fragment), std::string::npos) << c.field << ": " << m;
  }
}

// Redis's state events carry the record's fields as a JSON object (serve/redis_jobs.h); those
// written before they did carry only the state.
TEST(JobRecordFields, RedisStateEventsOfEitherFormRead) {
  const JobRecord r = unusual_record();
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& [name, text] : record_fields(r)) fields[name] = text;
  expect_same_record(redis::read_state_event(fields.dump(), r.id).record, r);
  EXPECT_FALSE(redis::read_state_event(fields.dump(), r.id).queue_position);
  fields["queue_position"] = "3";
  EXPECT_EQ(redis::read_state_event(fields.dump(), r.id).queue_position, 3);

  const JobRecord old = redis::read_state_event(R"({"state":"done"})", "abc").record;
  EXPECT_EQ(old.id, "abc");
  EXPECT_EQ(old.state, JobState::done);
  for (const std::string text : {"[1]", "{\"state\": 3}", "{", "{\"queue_position\": \"x\"}"}) {
    const std::string m = nst::testing::error_of([&] { redis::read_state_event(text, "abc"); });
    EXPECT_NE(m.find("job abc: a state event in Redis is damaged"), std::string::npos) << m;
  }
}

// A store made before records kept their settings (or counted attempts) gets the columns; its
// records read back with no settings, and new ones keep theirs.
TEST(JobRecordSettings, AnOlderStoreGainsTheColumn) {
  testing::TempDir dir;
  const std::string path = dir.file("jobs.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE "
                         "NOT NULL, state TEXT NOT NULL, options TEXT NOT NULL, content_name TEXT "
                         "NOT NULL, style_names TEXT NOT NULL, iteration INTEGER NOT NULL, "
                         "iterations INTEGER NOT NULL, losses TEXT NOT NULL, created REAL NOT "
                         "NULL, started REAL NOT NULL, finished REAL NOT NULL, error TEXT NOT "
                         "NULL);"
                         "INSERT INTO jobs (id, state, options, content_name, style_names, "
                         "iteration, iterations, losses, created, started, finished, error) "
                         "VALUES ('old', 'queued', '{\"size\": 64}', 'a.png', '[\"b.png\"]', 0, "
                         "20, 'null', 1, 0, 0, '')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  JobStore store(path);
  const std::optional<JobRecord> old = store.get("old");
  ASSERT_TRUE(old);
  EXPECT_FALSE(old->settings);
  EXPECT_EQ(old->options["size"], 64);
  EXPECT_EQ(job_settings(*old, {.threads = 2}).size, 64);  // from its options
  EXPECT_EQ(old->worker, "");

  JobRecord young;
  young.id = "young";
  young.settings = unusual_settings();
  young.worker = "w";
  store.insert(young);
  const std::optional<JobRecord> back = store.get("young");
  ASSERT_TRUE(back && back->settings);
  EXPECT_EQ(back->worker, "w");
  EXPECT_EQ(settings_record_text(*back->settings), settings_record_text(unusual_settings()));
  const JobSettings runs = job_settings(*back, {.threads = 2});
  EXPECT_EQ(runs.threads, 2);  // the runner's share of the cores, not the record's
  EXPECT_EQ(runs.max_pixels, 123456);
}

// A backend with no jobs: the server's own behaviour, without workers.
class IdleBackend : public JobBackend {
 public:
  bool submit(const JobRecord&, const JobUploads&, int) override { return false; }
  std::optional<JobRecord> get(const std::string&) override { return std::nullopt; }
  std::vector<JobRecord> list() override { return {}; }
  int queue_position(const std::string&) override { return 0; }
  bool cancel(const std::string&) override { return false; }
  void remove(const std::string&) override {}
  std::optional<std::string> result(const std::string&) override { return std::nullopt; }
  std::optional<std::string> loss_log(const std::string&) override { return std::nullopt; }
  std::optional<std::string> preview(const std::string&) override { return std::nullopt; }
  std::optional<std::string> upload(const std::string&, const std::string&) override {
    return std::nullopt;
  }
  std::optional<EventBatch> events(const std::string&, const std::string&,
                                   std::chrono::milliseconds) override {
    return std::nullopt;
  }
  BackendCounts counts() override { return {}; }
  void check_health() override {}
  void stop() override {}
};

// listen() on a server that stop() already reached returns, whether the stop came before
// listen() was called or while its accept loop was starting (httplib alone ignores a stop
// before its loop runs: `nst serve` once served on after "stopping" when a SIGTERM came just
// after "listening on"). Rounds of the race, each given 10 s.
TEST(ServerStop, AStopJustBeforeOrAsTheLoopStartsIsNotLost) {
  ServerOptions options;
  options.port = 0;
  for (int round = 0; round < 51; ++round) {
    Server server(options, std::make_unique<IdleBackend>());
    if (round == 0) server.stop();  // before listen() is even called
    auto served = std::async(std::launch::async, [&] { server.listen(); });
    if (round % 2 == 1) std::this_thread::yield();
    if (round > 0) server.stop();  // racing with the accept loop's start
    const bool ended = served.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    if (!ended) server.stop();  // the loop runs by now: a second stop ends it, the test fails
    ASSERT_TRUE(ended) << "round " << round;
  }
}

// The speed estimates go by: the median of the latest done jobs that measured one.
TEST(Estimate, TheSpeedIsTheMedianOfTheLatestDoneJobs) {
  const auto job = [](JobState state, double finished, double speed) {
    JobRecord r;
    r.state = state;
    r.finished = finished;
    r.speed = speed;
    return r;
  };
  EXPECT_EQ(recent_speed({}).jobs, 0);
  EXPECT_EQ(recent_speed({job(JobState::failed, 5, 100)}).pixel_iterations_per_second, 0);
  const std::vector<JobRecord> records{job(JobState::done, 1, 1000),  // the oldest: left out
                                       job(JobState::done, 9, 30),    job(JobState::done, 8, 10),
                                       job(JobState::done, 7, 20),    job(JobState::done, 6, 0),
                                       job(JobState::cancelled, 9, 5)};
  const MeasuredSpeed three = recent_speed(records, 3);
  EXPECT_EQ(three.jobs, 3);
  EXPECT_EQ(three.pixel_iterations_per_second, 20);
  const MeasuredSpeed four = recent_speed(records, 4);
  EXPECT_EQ(four.pixel_iterations_per_second, 25);  // 20 and 30, of 10, 20, 30, 1000
}

TEST(Estimate, PictureSizesAreWidthByHeightWithinTheLimit) {
  const ImageSize size = parse_picture_size("640x480", "content", 1 << 20);
  EXPECT_EQ(size.width, 640);
  EXPECT_EQ(size.height, 480);
  for (const std::string bad : {"", "640", "x480", "640x", "640x0", "-1x5", "640x480x2", "1e3x4",
                                "65536x1", "640 x480", "0x640"}) {
    const std::string m =
        nst::testing::error_of([&] { parse_picture_size(bad, "style 2", 1 << 20); });
    EXPECT_EQ(m.rfind("style 2: the size '", 0), 0u) << bad << ": " << m;
  }
  const std::string m =
      nst::testing::error_of([] { parse_picture_size("2000x2000", "content", 1000); });
  EXPECT_NE(m.find("over this server's 1000"), std::string::npos) << m;
}

// The time is the plan's pixel-iterations at the measured speed; none without a speed.
TEST(Estimate, TheTimeIsThePlansWorkAtTheMeasuredSpeed) {
  JobPlan plan;
  plan.scales = {{.iterations = 50, .content = {100, 50}, .styles = {}, .tiles = 1},
                 {.iterations = 200, .content = {200, 100}, .styles = {}, .tiles = 1}};
  JobSettings settings;
  settings.tolerance = 0;
  const nlohmann::json timed =
      estimate_json(plan, settings, {.pixel_iterations_per_second = 1e5, .jobs = 2});
  const double fixed = kIterationOverheadPixels;
  EXPECT_DOUBLE_EQ(timed["seconds"].get<double>(),
                   (50 * (5000.0 + fixed) + 200 * (20000.0 + fixed)) / 1e5);
  EXPECT_EQ(timed["iterations"], 250);
  EXPECT_EQ(timed["may_end_sooner"], false);
  EXPECT_EQ(timed["scales"][1],
            (nlohmann::json{{"width", 200}, {"height", 100}, {"iterations", 200}}));
  EXPECT_TRUE(estimate_json(plan, settings, {})["seconds"].is_null());
}

// Thumbnails are made once per version of a job's picture, for the jobs asked for last.
TEST(ThumbnailCache, MakesEachVersionOnceAndKeepsTheLatestJobs) {
  ThumbnailCache cache(2);
  int made = 0;
  const auto make = [&](const std::string& png) {
    return [&made, png]() -> std::optional<std::string> {
      ++made;
      return png;
    };
  };
  EXPECT_EQ(cache.get("a", "running-1", make("a1")), "a1");
  EXPECT_EQ(cache.get("a", "running-1", make("other")), "a1");  // kept
  EXPECT_EQ(cache.get("a", "done", make("a2")), "a2");          // a new picture
  EXPECT_EQ(made, 2);
  cache.get("b", "done", make("b"));
  cache.get("a", "done", make("unused"));  // a was asked for after b: b goes first
  cache.get("c", "done", make("c"));
  EXPECT_EQ(made, 4);
  EXPECT_EQ(cache.get("a", "done", make("again")), "a2");
  EXPECT_EQ(cache.get("b", "done", make("b again")), "b again");
  cache.forget("b");
  EXPECT_EQ(cache.get("b", "done", make("b3")), "b3");
  EXPECT_EQ(made, 6);
  EXPECT_FALSE(cache.get("d", "done", [] { return std::optional<std::string>(); }));
  EXPECT_EQ(cache.get("d", "done", make("d")), "d");  // nothing was kept for it
}

}  // namespace
}  // namespace nst::serve
