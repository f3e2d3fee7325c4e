// nst serve --queue and nst worker end to end: a real redis-server on a free loopback port,
// API nodes and worker processes, an untrained network at small sizes.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>

#include "tests/redis_runner.h"
#include "tests/serve_runner.h"

namespace nst::testing {
namespace {

using nlohmann::json;

class RedisMode : public ::testing::Test {
 protected:
  TempDir dir;
  RedisProcess redis{dir.file("")};
  const std::string photo = picture_png(64, 48, 3);
  const std::string painting = picture_png(40, 40, 7);

  std::string api_args() const { return "--queue " + redis.url(); }
  json submit(httplib::Client& c, int iterations) {
    return submit_job(c, photo, painting, {{"size", 48}, {"iterations", iterations}});
  }
  // How many times `text` occurs in `log`.
  static int count(const std::string& log, const std::string& text) {
    int n = 0;
    for (std::size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++n;
    return n;
  }
};

TEST_F(RedisMode, TwoWorkersRunSixJobsEachExactlyOnce) {
  ServeProcess api(api_args(), dir.file("api.log"));
  WorkerProcess a(redis.url(), "wa", "", dir.file("a.log"));
  WorkerProcess b(redis.url(), "wb", "", dir.file("b.log"));
  httplib::Client c = api.client();
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(submit(c, 12 + i)["id"]);
  for (int i = 0; i < 6; ++i) {
    const json done = wait_for_state(c, ids[i], "done");
    EXPECT_EQ(done["state"], "done") << done;
    EXPECT_EQ(done["iteration"], 12 + i);
    EXPECT_TRUE(done["worker"] == "wa" || done["worker"] == "wb") << done;
    EXPECT_GT(done.value("speed", 0.0), 0.0) << done;  // what the estimates go by
    const std::string log = c.Get("/api/jobs/" + ids[i] + "/losses")->body;
    // The header, each row once, and why the run ended.
    EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 12 + i + 2) << log;
    EXPECT_NE(log.find("\n# ran all " + std::to_string(12 + i) + " iterations\n"),
              std::string::npos)
        << log;
    EXPECT_EQ(c.Get("/api/jobs/" + ids[i] + "/result")->status, 200);
  }
  // The uploads and a thumbnail, from Redis as from the embedded mode's files.
  EXPECT_EQ(c.Get("/api/jobs/" + ids[0] + "/content")->body, photo);
  EXPECT_EQ(c.Get("/api/jobs/" + ids[0] + "/styles/0")->body, painting);
  EXPECT_EQ(c.Get("/api/jobs/" + ids[0] + "/styles/1")->status, 404);
  EXPECT_EQ(c.Get("/api/jobs/" + ids[0] + "/thumbnail")->get_header_value("Content-Type"),
            "image/png");
  // A worker writes "done" just after the record says so: give its log a moment.
  std::string logs;
  wait_for(
      [&] {
        logs = a.log() + b.log();
        return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) {
          return count(logs, "job " + id + " done") > 0;
        });
      },
      10);
  for (const std::string& id : ids) {
    EXPECT_EQ(count(logs, "job " + id + " starts"), 1) << logs;
    EXPECT_EQ(count(logs, "job " + id + " done"), 1) << logs;
  }
  const std::string metrics = c.Get("/metrics")->body;
  EXPECT_NE(metrics.find("nst_jobs{state=\"done\"} 6\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("nst_workers 2\n"), std::string::npos) << metrics;
}

TEST_F(RedisMode, AKilledWorkersJobIsTakenOverAndResumed) {
  ServeProcess api(api_args(), dir.file("api.log"));
  const std::string flags = "--claim-after 3 --checkpoint-every 5";
  auto first = std::make_unique<WorkerProcess>(redis.url(), "first", flags, dir.file("first.log"));
  httplib::Client c = api.client();
  const std::string id = submit(c, 150)["id"];
  ASSERT_TRUE(wait_for([&] { return json_body(c.Get("/api/jobs/" + id))["iteration"] >= 12; }));
  EXPECT_EQ(json_body(c.Get("/api/jobs/" + id))["worker"], "first");
  EXPECT_EQ(first->stop(SIGKILL), 128 + SIGKILL);
  const int reached = json_body(c.Get("/api/jobs/" + id))["iteration"];

  WorkerProcess second(redis.url(), "second", flags, dir.file("second.log"));
  const json done = wait_for_state(c, id, "done");
  ASSERT_EQ(done["state"], "done") << done << second.log();
  EXPECT_EQ(done["worker"], "second");
  const std::string log = second.log();
  EXPECT_NE(log.find("taking over job " + id), std::string::npos) << log;
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(log, m, std::regex("job " + id + " continues from iteration (\\d+)")))
      << "it started over: " << log;
  const int resumed_at = std::stoi(m[1]);
  EXPECT_GE(resumed_at, 10);
  EXPECT_LE(resumed_at, reached + 5);
  const std::string losses = c.Get("/api/jobs/" + id + "/losses")->body;
  // The header, each iteration once, and why the run ended.
  EXPECT_EQ(std::count(losses.begin(), losses.end(), '\n'), 152);
  EXPECT_TRUE(losses.ends_with("\n# ran all 150 iterations\n"))
      << losses.substr(losses.size() - 80);
}

// A job that kills every worker that takes it (an OOM kill) is taken over at most
// --max-attempts times in a row without new progress, then failed with a message saying so.
TEST_F(RedisMode, AJobThatKillsItsWorkersFailsAfterMaxAttempts) {
  ServeProcess api(api_args(), dir.file("api.log"));
  httplib::Client c = api.client();
  const std::string flags = "--claim-after 2 --checkpoint-every 100000 --max-attempts 2";
  const std::string id = submit(c, 5000)["id"];
  for (const std::string name : {"first", "second"}) {
    WorkerProcess worker(redis.url(), name, flags, dir.file(name + ".log"));
    ASSERT_TRUE(wait_for([&] {
      const json record = json_body(c.Get("/api/jobs/" + id));  // no "worker" until taken
      return record.value("worker", "") == name && record.value("iteration", 0) >= 1;
    })) << worker.log();
    EXPECT_EQ(worker.stop(SIGKILL), 128 + SIGKILL);
  }
  WorkerProcess third(redis.url(), "third", flags, dir.file("third.log"));
  const json record = wait_for_state(c, id, "failed");
  ASSERT_EQ(record["state"], "failed") << record << third.log();
  EXPECT_NE(record["error"].get<std::string>().find("ended abnormally 2 times in a row"),
            std::string::npos)
      << record;
}

TEST_F(RedisMode, ASecondApiNodeSeesTheSameJobs) {
  ServeProcess one(api_args(), dir.file("one.log"));
  ServeProcess two(api_args(), dir.file("two.log"));
  WorkerProcess worker(redis.url(), "w", "", dir.file("w.log"));
  httplib::Client c1 = one.client(), c2 = two.client();
  const std::string id = submit(c1, 10)["id"];
  const json seen = json_body(c2.Get("/api/jobs/" + id));
  EXPECT_EQ(seen["id"], id);
  // Node two follows the job's events to the end, as a client of node one would.
  std::string events;
  c2.Get("/api/jobs/" + id + "/events", [&](const char* data, size_t size) {
    events.append(data, size);
    return true;
  });
  EXPECT_NE(events.find("\"iteration\":10,"), std::string::npos) << events;
  EXPECT_NE(events.find("\"state\":\"done\""), std::string::npos) << events;
  EXPECT_EQ(json_body(c2.Get("/api/jobs"))["jobs"].size(), 1u);
  EXPECT_EQ(c2.Get("/api/jobs/" + id + "/result")->body,
            c1.Get("/api/jobs/" + id + "/result")->body);
  EXPECT_EQ(c2.Delete("/api/jobs/" + id)->status, 200);
  EXPECT_EQ(c1.Get("/api/jobs/" + id)->status, 404);
}

// The same events as the embedded mode's (test_serve.cpp), though written by scripts in Redis.
TEST_F(RedisMode, StateEventsCarryTheRecordAsItWasThen) {
  ServeProcess api(api_args(), dir.file("api.log"));
  WorkerProcess worker(redis.url(), "w", "", dir.file("w.log"));
  httplib::Client c = api.client();
  const std::string id = submit(c, 6)["id"];
  expect_state_events_carry_the_record(c, id, 6);
}

TEST_F(RedisMode, RedisStoppedAndStartedAgainUnderARunningWorker) {
  ServeProcess api(api_args(), dir.file("api.log"));
  WorkerProcess worker(redis.url(), "w", "--checkpoint-every 5", dir.file("w.log"));
  httplib::Client c = api.client();
  const std::string id = submit(c, 200)["id"];
  ASSERT_TRUE(wait_for([&] { return json_body(c.Get("/api/jobs/" + id))["iteration"] >= 5; }));
  EXPECT_EQ(c.Get("/healthz")->status, 200);
  redis.stop();
  const auto down = c.Get("/api/jobs/" + id);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 503);
  EXPECT_NE(json_body(down)["error"].get<std::string>().find("unreachable"), std::string::npos);
  const auto health = c.Get("/healthz");  // a load balancer sends no more work here
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_NE(health->body.find("unreachable"), std::string::npos) << health->body;
  ::sleep(2);  // the job goes on meanwhile
  redis.start();
  EXPECT_EQ(c.Get("/healthz")->status, 200);
  const json done = wait_for_state(c, id, "done");
  EXPECT_EQ(done["state"], "done") << done << worker.log();
  EXPECT_EQ(done["iteration"], 200);
  const std::string log = worker.log();
  EXPECT_NE(log.find("unreachable"), std::string::npos) << log;
  EXPECT_NE(log.find("Redis is back"), std::string::npos) << log;
}

// Item 13 of "Nothing from outside can hurt": when Redis lost its data, a client following the
// job's events saw the stream end without a last word.
TEST_F(RedisMode, AStreamWhoseJobRedisLostEndsWithAFinalEvent) {
  ServeProcess api(api_args(), dir.file("api.log"));
  WorkerProcess worker(redis.url(), "w", "", dir.file("w.log"));
  httplib::Client c = api.client();
  const std::string id = submit(c, 5000)["id"];
  ASSERT_TRUE(wait_for([&] { return json_body(c.Get("/api/jobs/" + id))["iteration"] >= 2; }));
  std::string events;
  bool flushed = false;
  const auto stream = c.Get("/api/jobs/" + id + "/events", [&](const char* data, size_t size) {
    events.append(data, size);
    if (!flushed && events.find("event: iteration") != std::string::npos)
      flushed = redis.command("FLUSHALL");
    return true;
  });
  ASSERT_TRUE(stream);
  EXPECT_TRUE(flushed);
  const std::size_t last = events.rfind("event: ");
  ASSERT_NE(last, std::string::npos) << events;
  EXPECT_EQ(events.substr(last, 12), "event: state") << events.substr(last);
  EXPECT_NE(events.find("\"state\":\"deleted\"", last), std::string::npos) << events.substr(last);
}

TEST_F(RedisMode, CancellingReachesTheWorkerOfAnotherProcess) {
  ServeProcess api(api_args(), dir.file("api.log"));
  WorkerProcess worker(redis.url(), "w", "", dir.file("w.log"));
  httplib::Client c = api.client();
  const std::string id = submit(c, 5000)["id"];
  ASSERT_EQ(wait_for_state(c, id, "running")["state"], "running");
  ASSERT_TRUE(wait_for([&] { return json_body(c.Get("/api/jobs/" + id))["iteration"] >= 2; }));
  const auto cancelled = c.Delete("/api/jobs/" + id);
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(json_body(cancelled)["state"], "cancelled");
  EXPECT_TRUE(wait_for(
      [&] { return worker.log().find("job " + id + " cancelled") != std::string::npos; }, 5))
      << worker.log();
  // The worker is free for the next job.
  const std::string next = submit(c, 5)["id"];
  EXPECT_EQ(wait_for_state(c, next, "done")["state"], "done");
}

TEST(RedisModeUsage, WrongCommandLinesAreUsageErrors) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"serve --queue http://host:6379", "not a Redis URL"},
      {"serve --queue redis://host:99999", "the port must be 1..65535"},
      {"serve --queue redis://host:6379/x", "the database must be a number"},
      {"serve --queue redis://host:6379 --workers 2", "--workers is for the embedded mode"},
      {"serve --queue redis://host:6379 --weights random", "--weights is for the embedded mode"},
      {"worker", "--queue redis://HOST:PORT is required"},
      {"worker --queue http://host:6379", "--queue http://host:6379: not a Redis URL"},
      {"worker --queue redis://127.0.0.1:6379 --threads 100000", "(4 per core), got 100000"},
      {"serve --threads 100000", "--threads must be at most"},
      {"worker --queue redis://127.0.0.1:6379 --claim-after 1", "--claim-after must be at least 2"},
      {"worker --queue redis://127.0.0.1:6379 --name 'a b'", "--name must be a word"},
  };
  for (const auto& [args, message] : cases) {
    const CliResult r = run_nst(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << "\n" << r.err;
  }
}

}  // namespace
}  // namespace nst::testing
