// Mastodon and Bluesky end to end: the real `stillpost archive` against upstream-replay on
// 127.0.0.1 (statuses, getPostThread, handle resolution, DID documents, a PDS), the real store,
// and the real `stillpost serve`.
#include <catch2/catch.hpp>

#include "archive/store.h"
#include "tests/support/archive_env.h"
#include "tests/support/replay.h"
#include "tests/support/run.h"
#include "tests/support/serve.h"
#include "tests/support/temp_dir.h"

namespace stillpost {
namespace {

using testing::Run;
using testing::StillpostBinary;

const std::string kGargron = "mastodon/mastodon.social/103270115826048975";
const std::string kGargronUrl = "https://mastodon.social/@Gargron/103270115826048975";
const std::string kGargronApi = "https://mastodon.social/api/v1/statuses/103270115826048975";
const std::string kReporter = "mastodon/social.example.org/113500000000000001";
const std::string kVideo = "bsky/did:plc:l7mosai5i2u562b5qbosw6c7/3lhnr2o6kb22h";
const std::string kVideoByHandle =
    "https://bsky.app/profile/kamhoyung.bsky.social/post/3lhnr2o6kb22h";
const std::string kImages = "bsky/did:plc:z7ja7uhcr5is6uqmnsjyn3k7/3lhmggpkbw22v";
const std::string kImagesThread =
    "https://public.api.bsky.app/xrpc/app.bsky.feed.getPostThread?uri=at://"
    "did:plc:z7ja7uhcr5is6uqmnsjyn3k7/app.bsky.feed.post/3lhmggpkbw22v";

using Env = testing::ArchiveEnv;

TEST_CASE("fediverse: Mastodon and Bluesky posts by URL, handle and at:// URI, with their media") {
  Env env;
  auto r = env.Archive({kGargronUrl, "https://social.example.org/@reporter/113500000000000001",
                        kVideoByHandle,
                        "at://did:plc:z7ja7uhcr5is6uqmnsjyn3k7/app.bsky.feed.post/3lhmggpkbw22v"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find(kGargron + "  captured  1 file") != std::string::npos);
  // 3 media files: the custom emoji in the name and in the text is one URL, fetched once.
  CHECK(r.out.find(kReporter + "  captured  3 files") != std::string::npos);
  CHECK(r.out.find(kVideo + "  captured  3 files") != std::string::npos);
  CHECK(r.out.find(kImages + "  captured  2 files") != std::string::npos);
  CHECK(r.out.find("4 posts: 4 captured, 0 gone, 0 failed") != std::string::npos);

  // A bsky.app URL by handle: the archive knows the handle's DID from its own capture.
  auto show = Run(StillpostBinary(), {"--db", env.db, "show", kVideoByHandle});
  CHECK(show.exit_code == 0);
  CHECK(show.out.rfind(kVideo + "  live", 0) == 0);
  show =
      Run(StillpostBinary(), {"--db", env.db, "history",
                              "https://bsky.app/profile/someone.else.example/post/3lhnr2o6kb22h"});
  CHECK(show.exit_code == 1);
  CHECK(show.err == "stillpost: no archived Bluesky post by someone.else.example\n");
  show = Run(StillpostBinary(),
             {"--db", env.db, "show",
              "https://bsky.app/profile/did:plc:l7mosai5i2u562b5qbosw6c7/post/3lhnr2o6kb22h"});
  CHECK(show.exit_code == 0);
  CHECK(show.out.find("Once the widget was setup") != std::string::npos);
  show = Run(StillpostBinary(), {"--db", env.db, "show", kGargronUrl + "/embed"});
  CHECK(show.exit_code == 0);

  // The store is opened last: it allows one process at a time.
  auto store = archive::Store::Open(env.db, {});
  REQUIRE_OK(store);
  auto gargron = (*store)->LatestGood(kGargron);
  REQUIRE_OK(gargron);
  CHECK(gargron->post().text().rfind("\"I lost my inheritance", 0) == 0);
  CHECK(gargron->source_url() == kGargronApi);
  CHECK((*store)->GetBlobMeta(gargron->post().author().avatar_blob())->mime() == "image/jpeg");

  auto reporter = (*store)->LatestGood(kReporter);
  REQUIRE_OK(reporter);
  CHECK(reporter->post().content_warning() == "Election night spoilers :ballot:");
  CHECK(reporter->post().poll().options_size() == 2);
  bool emoji_stored = false;
  for (const auto& e : reporter->post().entities()) {
    if (e.kind() == proto::Entity::KIND_CUSTOM_EMOJI)
      emoji_stored = (*store)->HasBlob(e.target_blob());
  }
  CHECK(emoji_stored);
  CHECK((*store)->HasBlob(reporter->post().author().name_entities(0).target_blob()));

  // The Bluesky video is the original blob from the author's PDS, checked against its CID.
  auto video = (*store)->LatestGood(kVideo);
  REQUIRE_OK(video);
  CHECK_FALSE(video->partial());
  const auto& m = video->post().media(0);
  CHECK(m.mime() == "video/mp4");
  CHECK(m.original_url().rfind(
            "https://morel.us-east.host.bsky.network/xrpc/com.atproto.sync.getBlob?did=", 0) == 0);
  CHECK((*store)->GetBlobMeta(m.blob())->mime() == "video/mp4");
  CHECK((*store)->HasBlob(m.poster_blob()));
  CHECK(video->post().author().handle() == "kamhoyung.bsky.social");
}

TEST_CASE(
    "fediverse: each platform's gone answers become tombstones, the last good capture stays") {
  struct Case {
    std::string key, ref, url, as, word;
  };
  const Case cases[] = {
      {kGargron, kGargronUrl, kGargronApi, "404", "not found"},
      {kGargron, kGargronUrl, kGargronApi, "410", "deleted"},
      {kImages, kImages, kImagesThread, "xrpc-notfound", "not found"},
      {kImages, kImages, kImagesThread, "notfoundpost", "not found"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.key << " gone as " << c.as) {
      Env env;
      REQUIRE(env.Archive({c.ref}).exit_code == 0);
      REQUIRE(env.replay.Admin("gone", c.url, "as=" + c.as) == 200);
      auto r = env.Fetch("recheck", {c.ref});
      INFO(r.out << r.err);
      CHECK(r.exit_code == 0);
      CHECK(r.out.find(c.key + "  " + c.word + "  ") != std::string::npos);
      CHECK(r.out.find("[" + c.word + "]") == std::string::npos);  // said once
      auto again = env.Fetch("recheck", {c.ref});
      CHECK(again.out.find(c.key + "  unchanged") != std::string::npos);
      auto store = archive::Store::Open(env.db, {});
      REQUIRE_OK(store);
      auto state = (*store)->State(c.key);
      REQUIRE_OK(state);
      CHECK(state->current() == proto::PostState::CURRENT_GONE);
      CHECK(state->capture_count() == 2);
      CHECK((*store)->LatestGood(c.key)->post().key() == c.key);
    }
  }
}

TEST_CASE(
    "fediverse: an unknown handle, a private Mastodon host and hostile answers fail cleanly") {
  Env env;
  auto r = env.Archive({"https://bsky.app/profile/nobody.example/post/3kaaa"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("failed  (cannot resolve the Bluesky handle nobody.example") !=
        std::string::npos);
  // Any host can be a Mastodon server, so the SSRF guard matters: a private address is refused
  // (it is no --upstream target, so the flag does not allow it).
  r = env.Archive({"https://127.0.0.1/@a/1"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("mastodon/127.0.0.1/1  failed") != std::string::npos);
  CHECK(r.out.find("private") != std::string::npos);
  // A truncated status answer is an error, and nothing is stored for it.
  REQUIRE(env.replay.Admin("fault", kGargronApi, "kind=truncate&times=0") == 200);
  r = env.Archive({kGargronUrl, "--attempts", "1"});
  CHECK(r.exit_code == 1);
  auto store = archive::Store::Open(env.db, {});
  REQUIRE_OK(store);
  CHECK((*store)->Stats().posts == 0);
}

TEST_CASE("fediverse: an article with one post from each network, archived in one run") {
  Env env;
  auto r = env.Archive({"https://www.example-news.test/news/three-networks"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("3 posts: 3 captured, 0 gone, 0 failed") != std::string::npos);
  auto store = archive::Store::Open(env.db, {});
  REQUIRE_OK(store);
  auto a = (*store)->GetArticle("https://www.example-news.test/news/three-networks");
  REQUIRE_OK(a);
  REQUIRE(a->post_keys_size() == 3);
  CHECK(a->post_keys(0) == "x/1641086480675225601");
  CHECK(a->post_keys(1) == kImages);
  CHECK(a->post_keys(2) == kGargron);
}

TEST_CASE("fediverse: served embeds, oEmbed and the API for Mastodon and Bluesky posts") {
  Env env;
  REQUIRE(env.Archive({kGargronUrl, kVideoByHandle, kReporter}).exit_code == 0);
  testing::ServeProcess serve(env.db);
  testing::HttpGetter http;
  auto m = http.Get(serve.base() + "/embed/" + kGargron);
  CHECK(m.status == 200);
  CHECK(m.body.find("@<bdi>Gargron@mastodon.social</bdi>") != std::string::npos);
  CHECK(m.body.find("View on Mastodon") != std::string::npos);
  auto b = http.Get(serve.base() + "/embed/" + kVideo + "?theme=dark");
  CHECK(b.status == 200);
  CHECK(b.body.find("View on Bluesky") != std::string::npos);
  CHECK(b.body.find("<video controls") != std::string::npos);
  auto cw = http.Get(serve.base() + "/embed/" + kReporter);
  CHECK(cw.body.find("<details class=\"sp-cw\">") != std::string::npos);
  auto api = http.Get(serve.base() + "/api/v1/posts/" + kVideo);
  CHECK(api.status == 200);
  CHECK(api.body.find("\"platform\":\"PLATFORM_BLUESKY\"") != std::string::npos);
  auto oembed = http.Get(serve.base() + "/oembed?format=json&url=" + kGargronUrl);
  CHECK(oembed.status == 200);
  CHECK(oembed.body.find("/embed/" + kGargron) != std::string::npos);
  auto at = http.Get(
      serve.base() +
      "/oembed?url=at://did:plc:l7mosai5i2u562b5qbosw6c7/app.bsky.feed.post/3lhnr2o6kb22h");
  CHECK(at.status == 200);
  auto by_handle = http.Get(serve.base() + "/oembed?url=" + kVideoByHandle);
  CHECK(by_handle.status == 200);
  CHECK(by_handle.body.find("/embed/" + kVideo) != std::string::npos);
  CHECK(http.Get(serve.base() + "/embed/mastodon/mastodon.social/1").status == 404);
  CHECK(http.Get(serve.base() + "/embed/bsky/not-a-did/x").status == 400);
}

}  // namespace
}  // namespace stillpost

namespace stillpost {
namespace {

TEST_CASE("fediverse: a video whose PDS was unreachable once is repaired, not edited, later") {
  testing::ArchiveEnv env;
  const std::string doc = "https://plc.directory/did:plc:l7mosai5i2u562b5qbosw6c7";
  REQUIRE(env.replay.Admin("fault", doc, "kind=500&times=0") == 200);
  auto first = env.Archive({kVideoByHandle, "--attempts", "1"});
  INFO(first.out << first.err);
  CHECK(first.exit_code == 3);  // partial
  CHECK(first.out.find(kVideo + "  partial") != std::string::npos);
  CHECK(first.out.find("cannot find the PDS of did:plc:l7mosai5i2u562b5qbosw6c7") !=
        std::string::npos);
  REQUIRE(env.replay.Admin("restore", doc, "") == 200);
  // The stored video URL differs now (getBlob instead of the playlist); the post does not.
  auto again = env.Fetch("recheck", {kVideo});
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK(again.out.find(kVideo + "  captured  [repaired]") != std::string::npos);
  auto store = archive::Store::OpenReadOnly(env.db, {});
  REQUIRE_OK(store);
  auto latest = (*store)->LatestGood(kVideo);
  REQUIRE_OK(latest);
  CHECK_FALSE(latest->partial());
  CHECK(latest->post().media(0).blob().size() == 64);
  // Whole now: the next recheck has nothing to repair.
  CHECK(env.Fetch("recheck", {kVideo}).out.find(kVideo + "  unchanged") != std::string::npos);
}

}  // namespace
}  // namespace stillpost
