// The service's small defences on their own: text checks, Host and Origin rules, and the
// worker folders that a killed worker leaves behind.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "serve/host_check.h"
#include "serve/job_runner.h"
#include "serve/request_text.h"
#include "serve/work_folder.h"
#include "tensor/error.h"
#include "tests/temp_dir.h"

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

}  // namespace
}  // namespace nst::serve
