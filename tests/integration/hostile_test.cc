// Hostile upstreams against the real binary (tests/fixtures/replay/hostile.example, built by
// make-hostile.py): every run ends, the process never aborts, and what a post may cost is
// bounded. Each case failed (hung, aborted or fetched without bound) before its fix.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "archive/store.h"
#include "tests/support/archive_env.h"
#include "tests/support/run.h"
#include "tests/support/temp_dir.h"

namespace stillpost {
namespace {

using testing::Run;
using testing::StillpostBinary;
using Env = testing::ArchiveEnv;

std::string Status(int id) { return "mastodon/hostile.example/" + std::to_string(id); }
std::string Media(const std::string& name) { return "https://hostile.example/media/" + name; }

TEST_CASE("hostile: fallbacks that form a cycle and URLs that do not parse end the run") {
  Env env;
  const auto start = std::chrono::steady_clock::now();
  auto r = env.Archive({Status(1), "--timeout-ms", "5000"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);  // partial
  CHECK(r.out.find(Status(1) + "  partial  0 files") != std::string::npos);
  // a.png and b.png asked a bounded number of times, not round and round: once as a slot's own
  // URL, at most once more as the other slot's fallback while the first request is in flight.
  CHECK(env.replay.Hits(Media("a.png")) <= 2);
  CHECK(env.replay.Hits(Media("b.png")) <= 2);
  CHECK(env.replay.Hits(Media("a.png")) + env.replay.Hits(Media("b.png")) <= 3);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
}

TEST_CASE("hostile: times outside years 1-9999 are dropped, the post is kept, nothing aborts") {
  Env env;
  auto r = env.Archive({Status(2), "https://mastodon.social/@Gargron/103270115826048975"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find(Status(2) + "  captured") != std::string::npos);
  CHECK(r.out.find("2 posts: 2 captured") != std::string::npos);
  CHECK(r.out.find("created_at") != std::string::npos);  // said, not silent
  auto show = env.Show(Status(2), /*json=*/true);
  CHECK(show.exit_code == 0);
  CHECK(show.out.find("\"created_at\"") == std::string::npos);
  CHECK(show.out.find("0000-01-01") == std::string::npos);
  // And again, as a re-check of every stored post would do.
  auto again = env.Fetch("recheck", {"--all"});
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
}

TEST_CASE("hostile: 200 attachments are capped per post, the same emoji 5,000 times is one fetch") {
  Env env;
  auto r = env.Archive({Status(3), Status(4), "--max-media-per-post", "8"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);  // partial
  CHECK(r.out.find("192 media over the per-post cap of 8 not kept") != std::string::npos);
  long asked = 0;
  for (int i = 0; i < 200; ++i) asked += env.replay.Hits(Media(std::to_string(i) + ".png"));
  CHECK(asked == 8);
  CHECK(env.replay.Hits("https://files.mastodon.social/cache/custom_emojis/images/000/000/001/"
                        "static/ballot.png") == 1);
  CHECK(r.out.find(Status(4) + "  captured  1 file") != std::string::npos);
  auto store = archive::Store::Open(env.db, {});
  REQUIRE_OK(store);
  auto latest = (*store)->LatestGood(Status(3));
  REQUIRE_OK(latest);
  CHECK(latest->post().media_size() == 8);
}

TEST_CASE("hostile: --post-timeout bounds a post whose media never arrive") {
  Env env;
  REQUIRE(env.replay.Admin("fault", Media("photo.jpeg"), "kind=hang&times=0") == 200);
  const auto start = std::chrono::steady_clock::now();
  auto r = env.Archive({Status(6), "--post-timeout-ms", "1500", "--media-timeout-ms", "120000"});
  const auto took = std::chrono::steady_clock::now() - start;
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);  // partial
  CHECK(r.out.find(Status(6) + "  partial") != std::string::npos);
  CHECK(r.out.find("the post's time limit") != std::string::npos);
  CHECK(took < std::chrono::seconds(20));
}

TEST_CASE("hostile: a gzip bomb is refused by its decoded-to-sent ratio") {
  Env env;
  REQUIRE(env.replay.Admin("fault", Media("photo.jpeg"), "kind=gzipbomb&bytes=100000000&times=0") ==
          200);
  auto r = env.Archive({Status(6)});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);  // partial
  CHECK(r.out.find(Status(6) + "  partial") != std::string::npos);
  CHECK(r.out.find("compression bomb") != std::string::npos);
  auto store = archive::Store::Open(env.db, {});
  REQUIRE_OK(store);
  CHECK((*store)->Stats().blob_bytes < 1'000'000);
}

TEST_CASE(
    "hostile: proxy variables in the environment are ignored, --proxy checks the destination") {
  Env env;
  const std::vector<std::string> proxies = {
      "http_proxy=http://127.0.0.1:9",  "HTTP_PROXY=http://127.0.0.1:9",
      "https_proxy=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9",
      "ALL_PROXY=http://127.0.0.1:9",   "NO_PROXY="};
  std::vector<std::string> args = {"--db",
                                   env.db,
                                   "archive",
                                   "--upstream",
                                   env.replay.upstream_flag(),
                                   "--allow-private-upstreams",
                                   Status(6)};
  auto r = Run(StillpostBinary(), args, proxies);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find(Status(6) + "  captured  1 file") != std::string::npos);

  // Through a proxy, a private destination is refused before anything is sent.
  auto p = Run(StillpostBinary(), {"--db", env.db, "archive", "--proxy", "http://127.0.0.1:9",
                                   "https://10.0.0.7/@a/1"});
  INFO(p.out << p.err);
  CHECK(p.exit_code == 1);
  CHECK(p.out.find("10.0.0.7 is not a public address") != std::string::npos);
  auto bad = Run(StillpostBinary(), {"--db", env.db, "archive", "--proxy", "javascript:x", "x/1"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--proxy 'javascript:x' is not a proxy URL") != std::string::npos);
}

TEST_CASE("hostile: terminal escapes in upstream text are not printed") {
  Env env;
  auto r = env.Archive({Status(5)});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto show = env.Show(Status(5));
  CHECK(show.exit_code == 0);
  CHECK(show.out.find('\x1b') == std::string::npos);
  CHECK(show.out.find('\x07') == std::string::npos);
  CHECK(show.out.find("\xc2\x9b") == std::string::npos);  // C1 CSI
  CHECK(show.out.find("Eve") != std::string::npos);
  CHECK(show.out.find("after") != std::string::npos);
}

TEST_CASE("hostile: a Mastodon-shaped link on a host that is not Mastodon is not a post") {
  Env env;
  testing::TempDir dir;
  const std::string page = dir.Sub("page.html");
  std::ofstream(page) << "<html><body><article><p>" << std::string(300, 'x')
                      << R"( <a href="https://aggregator.example/@news/1599766">story</a>
<a href="https://mastodon.social/@Gargron/103270115826048975">a post</a></p></article></body></html>)";
  auto dry = env.Archive({page, "--dry-run", "--json"});
  INFO(dry.out << dry.err);
  CHECK(dry.out.find(R"("key":"mastodon/aggregator.example/1599766")") != std::string::npos);
  CHECK(dry.out.find(R"("unverified":true)") != std::string::npos);
  auto r = env.Archive({page});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("mastodon/aggregator.example/1599766  not a post  (aggregator.example does not "
                   "answer the Mastodon API") != std::string::npos);
  CHECK(
      r.out.find(
          "1 post: 1 captured, 0 gone, 0 failed, 0 partial, 0 unchanged (1 link was not a post)") !=
      std::string::npos);
  auto store = archive::Store::Open(env.db, {});
  REQUIRE_OK(store);
  CHECK((*store)->State("mastodon/aggregator.example/1599766").error().code() ==
        StatusCode::kNotFound);
}

}  // namespace
}  // namespace stillpost

namespace stillpost {
namespace {

// A 3 MB tmpfs, unmounted when done (the tests run as root, as CI does).
struct SmallDisk {
  testing::TempDir dir;
  std::string path = dir.Sub("disk");
  SmallDisk() {
    std::filesystem::create_directories(path);
    const auto r = Run("/bin/mount", {"-t", "tmpfs", "-o", "size=3m", "tmpfs", path});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);  // needs root, as scripts/test has in CI
  }
  ~SmallDisk() { Run("/bin/umount", {path}); }
  // Fills the disk, leaving about `leave` bytes.
  void Fill(const std::string& name, size_t leave) {
    const auto space = std::filesystem::space(path);
    const size_t n = space.available > leave ? space.available - leave : 0;
    std::ofstream out(path + "/" + name, std::ios::binary);
    const std::string block(4096, '\0');
    for (size_t done = 0; done < n && out; done += block.size()) out.write(block.data(), 4096);
  }
};

TEST_CASE("hostile: a full disk gives one clear line, loses nothing, and reads still work") {
  SmallDisk disk;
  Env env;
  env.db = disk.path + "/db";
  REQUIRE(env.Archive({"883275154715705344"}).exit_code == 0);
  disk.Fill("filler", 16 << 10);
  auto full =
      env.Archive({"1641086480675225601", "https://mastodon.social/@Gargron/103270115826048975"});
  INFO(full.out << full.err);
  CHECK(full.exit_code == 1);
  CHECK((full.err + full.out).find("disk full") != std::string::npos);
  CHECK(full.err.find("Assertion") == std::string::npos);
  // Reading needs no space.
  auto show = env.Show("x/883275154715705344");
  CHECK(show.exit_code == 0);
  CHECK(show.out.find("x/883275154715705344  live") == 0);
  auto stats = Run(StillpostBinary(), {"--db", env.db, "stats"});
  CHECK(stats.exit_code == 0);
  CHECK(stats.out.find("posts     1\n") != std::string::npos);
  // Room again: the store takes writes, and the first post is still there.
  std::filesystem::remove(disk.path + "/filler");
  auto again = env.Archive({"1641086480675225601"});
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK(env.Show("x/883275154715705344").exit_code == 0);
}

}  // namespace
}  // namespace stillpost
