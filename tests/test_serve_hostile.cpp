// nst serve attacked as a stranger on the network would (issue "Nothing from outside can
// hurt"): each test sends what broke an earlier server, to a real process on loopback, and
// checks the server refuses it with a 4xx, stores nothing, and goes on answering.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "tests/raw_http.h"
#include "tests/serve_runner.h"
#include "tests/test_util.h"

namespace nst::testing {
namespace {

using nlohmann::json;

// A form with the given file names and raw options text, as the bytes a client sends.
httplib::MultipartFormDataItems raw_form(const std::string& content, const std::string& style,
                                         const std::string& content_name,
                                         const std::string& options) {
  return {{"content", content, content_name, "image/png"},
          {"style", style, "painting.png", "image/png"},
          {"options", options, "", "application/json"}};
}

// A PNG of w x h black pixels at 1 bit each: a few tens of KB that claim w*h pixels.
std::string bilevel_png(uint32_t w, uint32_t h) {
  const auto be32 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  const auto chunk = [&](const std::string& type, const std::string& data) {
    const std::string body = type + data;
    const auto crc = static_cast<uint32_t>(
        ::crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
    return be32(static_cast<uint32_t>(data.size())) + body + be32(crc);
  };
  const std::string raw(static_cast<std::size_t>(h) * (1 + (w + 7) / 8), '\0');
  uLongf size = ::compressBound(raw.size());
  std::string packed(size, '\0');
  ::compress2(reinterpret_cast<Bytef*>(packed.data()), &size,
              reinterpret_cast<const Bytef*>(raw.data()), raw.size(), 9);
  packed.resize(size);
  const std::string header = be32(w) + be32(h) + std::string{1, 0, 0, 0, 0};  // 1-bit grey
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", header) + chunk("IDAT", packed) +
         chunk("IEND", "");
}

// The peak resident memory of a process, in bytes (VmHWM).
int64_t peak_memory(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return -1;
}

class Hostile : public ::testing::Test {
 protected:
  TempDir dir;
  const std::string photo = picture_png(64, 48, 3);
  const std::string painting = picture_png(40, 40, 7);
  const json small{{"size", 48}, {"iterations", 20}};

  std::size_t jobs(httplib::Client& c) { return json_body(c.Get("/api/jobs"))["jobs"].size(); }
  std::size_t job_folders() const { return count_entries(dir.file("data/jobs")); }
};

// Item 1: a file name that is not UTF-8 was stored, then crashed the worker at every start.
// Item 10: invalid UTF-8 inside the options answered 500.
TEST_F(Hostile, TextThatIsNotUtf8IsRefusedBeforeAnythingIsStored) {
  {
    ServeProcess server(dir.file("data"), "", dir.file("log"));
    httplib::Client c = server.client();
    const auto named = c.Post("/api/jobs", raw_form(photo, painting, "ph\xFFoto.png", "{}"));
    ASSERT_TRUE(named);
    EXPECT_EQ(named->status, 400) << named->body;
    EXPECT_NE(named->body.find("content: its file name is not UTF-8"), std::string::npos)
        << named->body;
    const auto inside =
        c.Post("/api/jobs", raw_form(photo, painting, "photo.png", "{\"size\": \"4\xFF\"}"));
    ASSERT_TRUE(inside);
    EXPECT_EQ(inside->status, 400) << inside->body;
    EXPECT_TRUE(json::accept(inside->body)) << "the error is not valid JSON";
    EXPECT_EQ(jobs(c), 0u);
    EXPECT_EQ(job_folders(), 0u);
    EXPECT_EQ(c.Get("/healthz")->status, 200);
  }
  ServeProcess again(dir.file("data"), "", dir.file("log2"));
  EXPECT_NE(again.port(), 0) << "the server does not start again on its data";
}

// Item 2: options nested 60,000 deep overflowed the stack; 20,000 deep echoed 320 KB.
TEST_F(Hostile, DeeplyNestedOptionsAreRefusedWithAShortMessage) {
  ServeProcess server(dir.file("data"), "", dir.file("log"));
  httplib::Client c = server.client();
  const std::vector<std::pair<int, std::string>> cases{
      {60000, "options: 120000 bytes, over the limit of 65536"},
      {20000, "options: nested deeper than 4 levels"},
      {5, "options: nested deeper than 4 levels"}};
  for (const auto& [depth, message] : cases) {
    const std::string nested = std::string(depth, '[') + std::string(depth, ']');
    const auto r = c.Post("/api/jobs", raw_form(photo, painting, "photo.png", nested));
    ASSERT_TRUE(r) << "no answer at depth " << depth;
    EXPECT_EQ(r->status, 400) << depth;
    EXPECT_LT(r->body.size(), 600u) << "the error echoes the request";
    EXPECT_NE(r->body.find(message), std::string::npos) << r->body;
  }
  EXPECT_EQ(c.Get("/healthz")->status, 200);
  EXPECT_EQ(jobs(c), 0u);
}

// Item 3: a chunked upload bypassed --max-upload-mb.
TEST_F(Hostile, AChunkedUploadHoldsTheUploadLimit) {
  ServeProcess server(dir.file("data"), "--max-upload-mb 1", dir.file("log"));
  const std::string boundary = "nstboundary";
  RawConnection raw(server.port());
  ASSERT_TRUE(raw.connected());
  raw.send(
      "POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
      "Content-Type: multipart/form-data; boundary=" +
      boundary + "\r\n\r\n");
  const auto send_chunk = [&](const std::string& data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return raw.send(size + data + "\r\n");
  };
  send_chunk("--" + boundary +
             "\r\nContent-Disposition: form-data; name=\"content\"; filename=\"a.png\"\r\n\r\n");
  const std::string megabyte(1 << 20, 'x');
  for (int i = 0; i < 3 && send_chunk(megabyte); ++i) {
  }
  send_chunk("\r\n--" + boundary + "--\r\n");
  raw.send("0\r\n\r\n");
  const std::string answer = raw.receive(10);
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer.substr(0, 300);
  EXPECT_NE(answer.find("--max-upload-mb"), std::string::npos);
  httplib::Client c = server.client();
  EXPECT_EQ(jobs(c), 0u);
  EXPECT_EQ(job_folders(), 0u);
}

// Item 4: a 31 KB PNG claiming 16000x16000 pixels was decoded on an HTTP thread (3.9 GB).
TEST_F(Hostile, AHugePictureIsJudgedByItsHeaderWithoutDecodingIt) {
  ServeProcess server(dir.file("data"), "--max-memory 1G", dir.file("log"));
  httplib::Client c = server.client();
  const std::string bomb = bilevel_png(16000, 16000);
  ASSERT_LT(bomb.size(), 100'000u);
  const auto r = c.Post("/api/jobs", job_form(bomb, painting, small));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(r->body.find("content (photo.png): its 16000x16000 pixels take"), std::string::npos)
      << r->body;
  // Decoding would have taken 3.8 GB (768 MB of 8-bit pixels, then 3 GB of floats); the
  // network and, under sanitizers, their shadow memory stay far below 1 GB.
  EXPECT_LT(peak_memory(server.pid()), int64_t{1} << 30);
  EXPECT_EQ(jobs(c), 0u);
}

// Item 9: a billion iterations and a thousand styles were accepted.
TEST_F(Hostile, AJobsCostIsCapped) {
  ServeProcess server(dir.file("data"), "--max-iterations 300 --max-styles 2", dir.file("log"));
  httplib::Client c = server.client();
  const auto long_run =
      c.Post("/api/jobs", job_form(photo, painting, {{"iterations", 1000000000}}));
  ASSERT_TRUE(long_run);
  EXPECT_EQ(long_run->status, 400);
  EXPECT_NE(long_run->body.find("at most 300 (--max-iterations)"), std::string::npos)
      << long_run->body;
  httplib::MultipartFormDataItems many = job_form(photo, painting, small);
  for (int i = 0; i < 40; ++i) many.push_back({"style", painting, "more.png", "image/png"});
  const auto styles = c.Post("/api/jobs", many);
  ASSERT_TRUE(styles);
  EXPECT_EQ(styles->status, 400);
  EXPECT_NE(styles->body.find("--max-styles"), std::string::npos) << styles->body;
  EXPECT_EQ(jobs(c), 0u);
}

// Item 5: 64 slow clients or open event streams took every HTTP thread.
TEST_F(Hostile, SlowClientsAndOpenStreamsLeaveTheApiAnswering) {
  ServeProcess server(dir.file("data"), "", dir.file("log"));
  httplib::Client c = server.client();
  c.set_read_timeout(30, 0);
  const std::string id = submit_job(c, photo, painting, {{"size", 48}, {"iterations", 5000}})["id"];

  // 40 event streams held open: past the cap they get 503 with Retry-After.
  std::vector<std::unique_ptr<RawConnection>> streams;
  int refused = 0;
  for (int i = 0; i < 40; ++i) {
    streams.push_back(std::make_unique<RawConnection>(server.port()));
    streams.back()->send("GET /api/jobs/" + id + "/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    std::string head = streams.back()->receive(0.15);
    if (head.empty()) head = streams.back()->receive(3);  // a slow (sanitized) server
    if (head.rfind("HTTP/1.1 503", 0) == 0) {
      ++refused;
      EXPECT_NE(head.find("Retry-After: 5"), std::string::npos) << head;
    }
  }
  EXPECT_EQ(refused, 40 - 32);
  // 40 clients sending their headers a byte at a time.
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 40; ++i) {
    slow.push_back(std::make_unique<RawConnection>(server.port()));
    slow.back()->send("GET /healthz HTTP/1.1\r\nX");
  }
  std::atomic<bool> trickling{true};
  std::thread trickle([&] {
    while (trickling) {
      for (auto& s : slow) s->send("x");
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto health = c.Get("/healthz");
  const auto list = c.Get("/api/jobs");
  ASSERT_TRUE(health) << "/healthz did not answer";
  EXPECT_EQ(health->status, 200);
  ASSERT_TRUE(list) << "GET /api/jobs did not answer";
  EXPECT_EQ(list->status, 200);
  // Still trickling, the slow clients' headers run out of time: 408.
  for (auto& s : slow) {
    const std::string answer = s->receive(12);
    EXPECT_EQ(answer.rfind("HTTP/1.1 408", 0), 0u) << answer;
  }
  trickling = false;
  trickle.join();
  c.Delete("/api/jobs/" + id);
}

// Item 6: a second server on the same --data ran the first one's jobs.
TEST_F(Hostile, ASecondServerOnTheSameDataIsRefused) {
  ServeProcess first(dir.file("data"), "", dir.file("log"));
  ASSERT_NE(first.port(), 0);
  const CliResult second = run_nst("serve --port 0 --weights random --data " + dir.file("data"));
  EXPECT_EQ(second.code, 1) << second.err;
  EXPECT_NE(second.err.find("another nst serve uses this data folder (process "), std::string::npos)
      << second.err;
}

// Item 7: a job that kills its server was run again at every start, forever.
TEST_F(Hostile, AJobThatKeepsKillingItsServerFailsAfterMaxAttempts) {
  std::string id;
  for (int run = 0; run < 2; ++run) {
    ServeProcess server(dir.file("data"), "--max-attempts 2 --checkpoint-every 100000",
                        dir.file("log" + std::to_string(run)));
    httplib::Client c = server.client();
    if (run == 0) id = submit_job(c, photo, painting, {{"size", 48}, {"iterations", 5000}})["id"];
    ASSERT_TRUE(wait_for([&] { return json_body(c.Get("/api/jobs/" + id))["iteration"] >= 1; }));
    server.stop(SIGKILL);  // as the OOM killer would
  }
  ServeProcess server(dir.file("data"), "--max-attempts 2", dir.file("log2"));
  httplib::Client c = server.client();
  const json record = json_body(c.Get("/api/jobs/" + id));
  EXPECT_EQ(record["state"], "failed") << record;
  EXPECT_NE(record["error"].get<std::string>().find("ended abnormally 2 times in a row"),
            std::string::npos)
      << record;
}

// Item 8: Debian's cpp-httplib listens with a backlog of 5, so a burst of 100 connections got
// resets. With the server stopped, the kernel still completes handshakes up to the backlog: of
// 70 connections, about 65 complete (the backlog is 64), where 6 did before.
TEST_F(Hostile, TheListenBacklogHoldsABurstOfConnections) {
  ServeProcess server(dir.file("data"), "", dir.file("log"));
  ASSERT_NE(server.port(), 0);
  ASSERT_EQ(::kill(server.pid(), SIGSTOP), 0);
  std::vector<int> sockets;
  for (int i = 0; i < 70; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(server.port()));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);  // EINPROGRESS
    sockets.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  int completed = 0;
  for (const int fd : sockets) {
    pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
    int error = -1;
    socklen_t size = sizeof error;
    if (::poll(&p, 1, 0) == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 &&
        error == 0) {
      ++completed;
    }
  }
  ::kill(server.pid(), SIGCONT);
  EXPECT_GE(completed, 60) << "handshakes completed while the server was stopped";
  // Every one of them is answered once it runs again (the others' SYNs are retried).
  int answered = 0;
  for (const int fd : sockets) {
    pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
    ::poll(&p, 1, 10'000);
    const std::string request =
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != ssize_t(request.size()))
      continue;
    std::string reply;
    char buffer[4096];
    for (p = {.fd = fd, .events = POLLIN, .revents = 0}; ::poll(&p, 1, 10'000) == 1;) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      reply.append(buffer, static_cast<std::size_t>(n));
    }
    if (reply.rfind("HTTP/1.1 200", 0) == 0) ++answered;
  }
  for (const int fd : sockets) ::close(fd);
  EXPECT_EQ(answered, 70);
}

// Item 10: a full disk answered 500 (with the server's path). A 20 MB tmpfs as --data: a job
// whose uploads would eat into the 16 MB kept for running jobs' results gets 507, and nothing
// is stored; a small one still fits.
TEST_F(Hostile, AFullDiskAnswers507AndStoresNothing) {
  const std::string disk = dir.file("disk");
  std::filesystem::create_directories(disk);
  if (::mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=20m") != 0)
    GTEST_SKIP() << "mounting a small tmpfs needs root (" << std::strerror(errno) << ")";
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{disk};
  {
    ServeProcess server(disk + "/data", "", dir.file("log"));
    httplib::Client c = server.client();
    // Noise does not compress: a PNG of megabytes.
    const std::vector<uint8_t> noise =
        encode_image(random_tensor(Shape{1, 3, 1300, 1300}, 5, 0.0f, 1.0f), ImageFormat::png);
    const std::string big(noise.begin(), noise.end());
    ASSERT_GT(big.size(), 4u << 20);
    const auto r = c.Post("/api/jobs", job_form(photo, big, small));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 507) << r->body;
    EXPECT_EQ(json_body(r)["error"], "the server's disk is full; try again later") << r->body;
    EXPECT_EQ(r->body.find(disk), std::string::npos) << "no server path: " << r->body;
    EXPECT_EQ(jobs(c), 0u);
    EXPECT_EQ(c.Post("/api/jobs", job_form(photo, painting, small))->status, 201);
  }
}

// Item 11: without a token, any web page could call the API (cross-site, or DNS rebinding).
TEST_F(Hostile, WithoutATokenOnlyTheServersOwnPageAndNamesAreServed) {
  ServeProcess server(dir.file("data"), "--allow-host nst.example.org", dir.file("log"));
  httplib::Client c = server.client();
  const std::string own = "http://127.0.0.1:" + std::to_string(server.port());
  const auto post = [&](const std::string& origin) {
    return c.Post("/api/jobs", {{"Origin", origin}}, job_form(photo, painting, small))->status;
  };
  EXPECT_EQ(post("http://evil.example.com"), 403);
  EXPECT_EQ(post("null"), 403);
  EXPECT_EQ(post(own), 201);
  EXPECT_EQ(post("https://nst.example.org"), 201);
  httplib::Client rebound("127.0.0.1", server.port());
  const auto foreign = rebound.Get("/api/jobs", {{"Host", "evil.example.com"}});
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 403);
  EXPECT_NE(foreign->body.find("--allow-host"), std::string::npos) << foreign->body;
  EXPECT_EQ(rebound.Get("/api/jobs", {{"Host", "nst.example.org"}})->status, 200);
  EXPECT_EQ(rebound.Get("/api/jobs", {{"Host", "localhost:1"}})->status, 200);
}

TEST_F(Hostile, WithATokenTheOriginIsTheTokensBusiness) {
  std::ofstream(dir.file("token")) << "s3cret\n";
  ServeProcess server(dir.file("data"), "--token-file " + dir.file("token"), dir.file("log"));
  httplib::Client c = server.client();
  const httplib::Headers headers{{"Authorization", "Bearer s3cret"},
                                 {"Origin", "https://elsewhere.example"}};
  EXPECT_EQ(c.Get("/api/jobs", headers)->status, 200);
  EXPECT_EQ(c.Get("/api/jobs")->status, 401);
}

// Item 14: IDs are 128 random bits.
TEST_F(Hostile, JobIdsAre128RandomBits) {
  ServeProcess server(dir.file("data"), "", dir.file("log"));
  httplib::Client c = server.client();
  const std::string a = submit_job(c, photo, painting, small)["id"];
  const std::string b = submit_job(c, photo, painting, small)["id"];
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos) << a;
  EXPECT_NE(a.substr(0, 16), b.substr(0, 16));
}

}  // namespace
}  // namespace nst::testing
