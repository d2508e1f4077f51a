// `stillpost archive` end to end: the real binary, the real store, libcurl against a real
// upstream-replay on 127.0.0.1, with the platform's gone answers and injected faults.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "archive/store.h"
#include "tests/support/archive_env.h"
#include "tests/support/replay.h"
#include "tests/support/run.h"
#include "tests/support/temp_dir.h"

namespace stillpost {
namespace {

using testing::ReplayServer;
using testing::Run;
using testing::StillpostBinary;
using testing::TempDir;

const std::string kPhoto = "1641086480675225601";
const std::string kReply = "883326060983353344";
const std::string kParent = "883302522549305344";

std::string TweetUrl(const std::string& id) {
  return "https://cdn.syndication.twimg.com/tweet-result?id=" + id;
}

using Env = testing::ArchiveEnv;

TEST_CASE("archive: posts by URL and id are captured with their media, then shown") {
  Env env;
  auto r = env.Archive({"https://x.com/SamuelSusla/status/" + kPhoto,
                        "https://twitter.com/johnpodesta/status/" + kReply + "?ref_src=twsrc%5Etfw",
                        "1684218600456876032"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("x/" + kPhoto + "  captured  2 files") != std::string::npos);
  CHECK(r.out.find("x/1684218600456876032  captured  3 files") != std::string::npos);
  CHECK(r.out.find("3 posts: 3 captured, 0 gone, 0 failed") != std::string::npos);

  auto show = env.Show("x/" + kReply);
  CHECK(show.exit_code == 0);
  CHECK(show.out.find("replying to x/" + kParent) != std::string::npos);
  CHECK(show.out.find("Get a grip man") != std::string::npos);

  // The capture refers to stored, content-checked media.
  auto store = archive::Store::Open(env.db, {});
  REQUIRE_OK(store);
  auto video = (*store)->LatestGood("x/1684218600456876032");
  REQUIRE_OK(video);
  const auto& m = video->post().media(0);
  CHECK(m.mime() == "video/mp4");
  auto meta = (*store)->GetBlobMeta(m.blob());
  REQUIRE_OK(meta);
  CHECK(meta->mime() == "video/mp4");
  CHECK((*store)->HasBlob(m.poster_blob()));
  CHECK((*store)->HasBlob(video->raw_body_blob()));
  CHECK((*store)->GetBlobMeta(video->post().author().avatar_blob())->mime() == "image/jpeg");
}

TEST_CASE("archive: --json prints one object per post, --from reads a file") {
  Env env;
  const std::string list = env.dir.Sub("posts.txt");
  std::ofstream(list) << "# the seed article's posts\n883275154715705344\n\n"
                      << "https://x.com/realDonaldTrump/status/" << kParent << "\n";
  auto r = env.Archive({"--json", "--from", list});
  REQUIRE(r.exit_code == 0);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 2);
  CHECK(r.out.find(R"("key":"x/883275154715705344","outcome":"captured")") != std::string::npos);
}

TEST_CASE("archive: each of X's gone answers becomes a tombstone, the last good capture stays") {
  for (const std::string as : {"404", "empty", "tombstone"}) {
    DYNAMIC_SECTION("gone as " << as) {
      Env env;
      REQUIRE(env.Archive({kPhoto}).exit_code == 0);
      REQUIRE(env.replay.Admin("gone", TweetUrl(kPhoto), "as=" + as) == 200);
      auto r = env.Archive({kPhoto});
      INFO(r.out << r.err);
      CHECK(r.exit_code == 0);
      CHECK(r.out.find(as == "tombstone" ? "deleted" : "not found") != std::string::npos);

      auto store = archive::Store::Open(env.db, {});
      REQUIRE_OK(store);
      auto state = (*store)->State("x/" + kPhoto);
      REQUIRE_OK(state);
      CHECK(state->current() == proto::PostState::CURRENT_GONE);
      CHECK(state->capture_count() == 2);
      CHECK((*store)->LatestGood("x/" + kPhoto)->post().text().rfind("If you are interested", 0) ==
            0);
    }
  }
}

TEST_CASE("archive: 429 with Retry-After, then success") {
  Env env;
  REQUIRE(env.replay.Admin("fault", TweetUrl(kPhoto), "kind=429&retry_after=1") == 200);
  auto r = env.Archive({kPhoto});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("captured") != std::string::npos);
  CHECK(env.replay.Hits(TweetUrl(kPhoto)) == 2);
}

TEST_CASE("archive: 500 twice is retried, then success") {
  Env env;
  REQUIRE(env.replay.Admin("fault", TweetUrl(kPhoto), "kind=500&times=2") == 200);
  auto r = env.Archive({kPhoto});
  CHECK(r.exit_code == 0);
  CHECK(env.replay.Hits(TweetUrl(kPhoto)) == 3);
}

TEST_CASE("archive: a hang times out, fails the post, and stores nothing") {
  Env env;
  REQUIRE(env.replay.Admin("fault", TweetUrl(kParent), "kind=hang&times=0") == 200);
  auto r = env.Archive({kParent, "--timeout-ms", "700", "--attempts", "2"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("x/" + kParent + "  failed  (syndication: timed out") != std::string::npos);
  CHECK(r.out.find("after 2 attempts") != std::string::npos);
  auto store = archive::Store::Open(env.db, {});
  REQUIRE_OK(store);
  CHECK((*store)->Stats().captures == 0);
  CHECK((*store)->Stats().blobs == 0);
}

TEST_CASE("archive: an oversized answer is refused, a truncated one is an error") {
  Env env;
  SECTION("oversized") {
    REQUIRE(env.replay.Admin("fault", TweetUrl(kParent), "kind=oversize&times=0&bytes=50000000") ==
            200);
    auto r = env.Archive({kParent, "--max-json-bytes", "1000000"});
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("larger than the 1000000-byte cap") != std::string::npos);
  }
  SECTION("truncated") {
    REQUIRE(env.replay.Admin("fault", TweetUrl(kParent), "kind=truncate&times=0") == 200);
    auto r = env.Archive({kParent, "--attempts", "2"});
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("was cut short after 2 attempts") != std::string::npos);
  }
  auto store = archive::Store::Open(env.db, {});
  REQUIRE_OK(store);
  CHECK((*store)->Stats().captures == 0);
}

TEST_CASE("archive: when syndication keeps failing, oEmbed gives a text-only partial capture") {
  Env env;
  REQUIRE(env.replay.Admin("fault", TweetUrl(kPhoto), "kind=500&times=0") == 200);
  auto r = env.Archive({kPhoto, "--attempts", "2"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);  // partial: its own exit code
  CHECK(r.out.find("x/" + kPhoto + "  partial") != std::string::npos);
  auto store = archive::Store::Open(env.db, {});
  auto c = (*store)->LatestGood("x/" + kPhoto);
  REQUIRE_OK(c);
  CHECK(c->partial());
  CHECK(c->partial_reason().find("text only, from oEmbed (syndication: HTTP 500") == 0);
  CHECK(c->post().text().rfind("If you are interested about View Flattening", 0) == 0);
  CHECK(c->post().author().handle() == "SamuelSusla");
  CHECK(c->post().media_size() == 0);
}

TEST_CASE("archive: a photo that fails to download leaves a partial capture that says why") {
  Env env;
  const std::string photo = "https://pbs.twimg.com/media/FsZNOgcWAAEQtrd?format=jpg&name=orig";
  REQUIRE(env.replay.Admin("fault", photo, "kind=500&times=0") == 200);
  auto r = env.Archive({kPhoto, "--attempts", "1"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);
  CHECK(r.out.find("partial") != std::string::npos);
  CHECK(r.out.find("0 captured, 0 gone, 0 failed, 1 partial") != std::string::npos);
  auto store = archive::Store::Open(env.db, {});
  auto c = (*store)->LatestGood("x/" + kPhoto);
  REQUIRE_OK(c);
  CHECK(c->partial());
  CHECK(c->post().media(0).blob().empty());
  CHECK(c->post().media(0).failure().find("HTTP 500") != std::string::npos);
}

TEST_CASE("archive: private addresses are refused without the flag, and redirects to them always") {
  Env env;
  auto r = env.Archive({kPhoto}, /*allow_private=*/false);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("refused to connect to 127.0.0.1") != std::string::npos);

  // A redirect straight to a loopback address is not an upstream: refused even with the flag.
  const std::string direct =
      env.replay.base() + "/cdn.syndication.twimg.com/tweet-result?id=" + kPhoto;
  REQUIRE(env.replay.Admin("fault", TweetUrl(kPhoto), "kind=redirect&to=" + direct) == 200);
  auto redirected = env.Archive({kPhoto});
  INFO(redirected.out);
  CHECK(redirected.exit_code == 1);
  CHECK(redirected.out.find("refused to connect to 127.0.0.1") != std::string::npos);
  auto store = archive::Store::Open(env.db, {});
  CHECK((*store)->Stats().captures == 0);
}

TEST_CASE("archive: what is not a post is a usage error, and nothing is fetched") {
  Env env;
  for (const std::string bad : {"https://twitter.com/jack", "https://x.com/hashtag/G20Summit",
                                "https://twitter.com/intent/tweet?text=hi", "not a url at all"}) {
    auto r = env.Archive({kPhoto, bad});
    INFO(bad << ": " << r.err);
    CHECK(r.exit_code == 2);
    // X's reason for an X URL; for what is no URL, the three networks' forms.
    CHECK(r.err.rfind(bad[0] == 'h' ? "stillpost: not an X post: " : "stillpost: not a post: ",
                      0) == 0);
    if (bad[0] != 'h') CHECK(r.err.find("X, Mastodon or Bluesky") != std::string::npos);
  }
  CHECK(env.replay.Hits(TweetUrl(kPhoto)) == 0);
}

}  // namespace
}  // namespace stillpost

namespace stillpost {
namespace {

TEST_CASE("archive: an article file: its three posts captured in order, the article recorded") {
  Env env;
  const std::string article = std::string(STILLPOST_FIXTURES) + "/seed-article/article.html";
  auto dry = env.Archive({"--dry-run", "--json", article});
  INFO(dry.out << dry.err);
  CHECK(dry.exit_code == 0);
  CHECK(std::count(dry.out.begin(), dry.out.end(), '\n') == 3);
  CHECK(
      dry.out.find(
          R"({"key":"x/883326060983353344","url":"https://x.com/johnpodesta/status/883326060983353344","found_as":"blockquote"})") !=
      std::string::npos);
  CHECK(env.replay.Hits(TweetUrl(kReply)) == 0);  // a dry run fetches nothing
  CHECK_FALSE(std::filesystem::exists(env.db));

  auto r = env.Archive({article});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(
      r.out.find("article https://www.example-news.test/news/trump-and-putin-meet-face-face-video "
                 "(Trump And Putin Meet Face To Face (Video)): 3 posts") == 0);
  CHECK(r.out.find("3 posts: 3 captured, 0 gone, 0 failed") != std::string::npos);
  auto store = archive::Store::Open(env.db, {});
  REQUIRE_OK(store);
  auto a = (*store)->GetArticle(
      "https://www.example-news.test/news/trump-and-putin-meet-face-face-video");
  REQUIRE_OK(a);
  CHECK(a->title() == "Trump And Putin Meet Face To Face (Video)");
  REQUIRE(a->post_keys_size() == 3);
  CHECK(a->post_keys(0) == "x/883275154715705344");
  CHECK(a->post_keys(2) == "x/883326060983353344");
  CHECK((*store)->Stats().articles == 1);
}

}  // namespace
}  // namespace stillpost

namespace stillpost {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("recheck: live, edited, deleted, restored: each recorded once, nothing when unchanged") {
  TempDir dir;
  // A replay tree of our own, so the test can edit a post upstream.
  std::filesystem::copy(testing::ReplayRoot(), dir.Sub("replay"),
                        std::filesystem::copy_options::recursive);
  ReplayServer replay(dir.Sub("replay"));
  const std::string db = dir.Sub("db");
  auto cli = [&](std::vector<std::string> args) {
    std::vector<std::string> all = {"--db", db};
    all.insert(all.end(), args.begin(), args.end());
    all.insert(all.end(), {"--upstream", replay.upstream_flag(), "--allow-private-upstreams"});
    return Run(StillpostBinary(), all);
  };
  auto captures = [&] {
    auto store = archive::Store::Open(db, {});
    REQUIRE_OK(store);
    return (*store)->Captures("x/" + kParent)->size();
  };
  REQUIRE(cli({"archive", kParent}).exit_code == 0);

  auto same = cli({"recheck", "x/" + kParent});
  INFO(same.out << same.err);
  CHECK(same.exit_code == 0);
  CHECK(same.out.find("x/" + kParent + "  unchanged") == 0);
  CHECK(captures() == 1);

  const std::string json =
      dir.Sub("replay/cdn.syndication.twimg.com/tweet-result/" + kParent + ".json");
  std::string body = ReadFile(json);
  const size_t at = body.find("Disgraceful!");
  REQUIRE(at != std::string::npos);
  body.replace(at, 12, "Outrageous!!");
  std::ofstream(json, std::ios::trunc) << body;
  auto edited = cli({"recheck", "https://twitter.com/realDonaldTrump/status/" + kParent});
  INFO(edited.out);
  CHECK(edited.out.find("captured  [edited]") != std::string::npos);
  CHECK(captures() == 2);

  REQUIRE(replay.Admin("gone", TweetUrl(kParent), "as=404") == 200);
  auto deleted = cli({"recheck", kParent});
  // The outcome is the transition: said once ("not found", not "not found  [not found]").
  CHECK(deleted.out.find("x/" + kParent + "  not found  ") == 0);
  CHECK(deleted.out.find('[') == std::string::npos);
  CHECK(captures() == 3);
  CHECK(cli({"recheck", kParent}).out.find("unchanged") != std::string::npos);  // still gone
  CHECK(captures() == 3);

  REQUIRE(replay.Admin("restore", TweetUrl(kParent)) == 200);
  auto restored = cli({"recheck", "--all"});
  CHECK(restored.out.find("captured  [restored]") != std::string::npos);
  CHECK(captures() == 4);
  {
    auto store = archive::Store::Open(db, {});
    REQUIRE_OK(store);
    CHECK((*store)->LatestGood("x/" + kParent)->post().text().find("Outrageous!!") !=
          std::string::npos);
  }
  CHECK(cli({"recheck", kParent, "--older-than", "1h"}).out.find("0 posts") == 0);

  auto history = Run(StillpostBinary(), {"--db", db, "history", "x/" + kParent});
  INFO(history.out);
  CHECK(history.exit_code == 0);
  const std::vector<std::string> changes = {"live  first capture", "live  edited",
                                            "not found  not found", "live  restored"};
  size_t pos = 0;
  for (const auto& c : changes) {
    pos = history.out.find(c, pos);
    CHECK(pos != std::string::npos);
  }
  auto history_json = Run(StillpostBinary(), {"--db", db, "history", "--json", kParent});
  CHECK(history_json.out.find("\"change\":\"restored\"") != std::string::npos);
}

TEST_CASE(
    "rewrite: widgets.js becomes our embed.js (or each embed our iframe), every other byte stays") {
  const std::string article = std::string(STILLPOST_FIXTURES) + "/seed-article/article.html";
  const std::string original = ReadFile(article);
  auto r = Run(StillpostBinary(), {"rewrite", article, "--base", "https://archive.example/"});
  REQUIRE(r.exit_code == 0);
  std::string expected = original;
  const std::string widgets = "https://platform.twitter.com/widgets.js";
  expected.replace(expected.find(widgets), widgets.size(), "https://archive.example/embed.js");
  CHECK(r.out == expected);

  // --iframes: the archived posts' embeds become our iframes; without a store, nothing is
  // archived and the page keeps its own markup.
  auto none = Run(StillpostBinary(), {"--db", "/nonexistent/db", "rewrite", "--iframes", article,
                                      "--base", "https://archive.example"});
  REQUIRE(none.exit_code == 0);
  CHECK(none.out == expected);

  Env env;
  REQUIRE(env.Archive({"883275154715705344", kReply}).exit_code == 0);  // not kParent
  auto f = Run(StillpostBinary(), {"--db", env.db, "rewrite", "--iframes", article, "--base",
                                   "https://archive.example"});
  REQUIRE(f.exit_code == 0);
  // Two iframes, sized like the oEmbed answer; the post not archived keeps its blockquote.
  size_t frames = 0;
  for (size_t at = f.out.find("<iframe class=\"stillpost-embed\""); at != std::string::npos;
       at = f.out.find("<iframe class=\"stillpost-embed\"", at + 1)) {
    ++frames;
    const std::string tag = f.out.substr(at, f.out.find('>', at) - at);
    CHECK(tag.find("width=\"550\"") != std::string::npos);
    CHECK(tag.find("height=\"400\"") == std::string::npos);  // the post's own height
  }
  CHECK(frames == 2);
  CHECK(f.out.find("status/" + kParent) != std::string::npos);
  CHECK(f.out.find("/embed/x/883326060983353344?hide_thread=1") != std::string::npos);
  // Outside the embeds, the page is the same to the byte.
  std::string rest = original, got = f.out;
  // The blockquotes of the two archived posts go; kParent's stays.
  for (size_t b = rest.find("<blockquote"); b != std::string::npos;
       b = rest.find("<blockquote", b)) {
    const size_t e = rest.find("</blockquote>", b) + 13;
    const std::string quote = rest.substr(b, e - b);
    if (quote.find("status/" + kParent) == std::string::npos) {
      rest.erase(b, e - b);
    } else {
      b = e;
    }
  }
  rest.replace(rest.find(widgets), widgets.size(), "https://archive.example/embed.js");
  for (size_t b; (b = got.find("<iframe class=\"stillpost-embed\"")) != std::string::npos;) {
    got.erase(b, got.find("</iframe>", b) + 9 - b);
  }
  CHECK(got == rest);

  // Platform iframes and amp-twitter too, their width and theme kept; embed.js added once when
  // the page had no platform script.
  REQUIRE(env.Archive({"1684218600456876032", "1641086480675225601"}).exit_code == 0);
  auto iframes = Run(StillpostBinary(), {"--db", env.db, "rewrite", "--iframes",
                                         std::string(STILLPOST_FIXTURES) + "/articles/iframes.html",
                                         "--base", "https://archive.example"});
  CHECK(iframes.out.find("/embed/x/1684218600456876032?theme=dark") != std::string::npos);
  CHECK(iframes.out.find("youtube.com/embed/abc") != std::string::npos);
  CHECK(iframes.out.find("data-tweet-id=\"2023357708301455483\"") !=
        std::string::npos);  // not archived
  auto amp = Run(StillpostBinary(), {"--db", env.db, "rewrite", "--iframes",
                                     std::string(STILLPOST_FIXTURES) + "/articles/amp.html",
                                     "--base", "https://archive.example"});
  const size_t amp_frame = amp.out.find("/embed/x/1641086480675225601");
  CHECK(amp_frame != std::string::npos);
  CHECK(amp.out.find("width=\"375\"", amp_frame) != std::string::npos);
  size_t scripts = 0;
  for (size_t at = amp.out.find("archive.example/embed.js"); at != std::string::npos;
       at = amp.out.find("archive.example/embed.js", at + 1)) {
    ++scripts;
  }
  CHECK(scripts == 1);

  auto bad = Run(StillpostBinary(), {"rewrite", article, "--base", "archive.example"});
  CHECK(bad.exit_code == 2);
}

}  // namespace
}  // namespace stillpost

namespace stillpost {
namespace {

TEST_CASE("archive: an article by URL is fetched through the upstream rules and archived") {
  Env env;
  auto r = env.Archive({"https://www.example-news.test/news/trump-and-putin-meet-face-face-video"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("3 posts: 3 captured") != std::string::npos);
  auto missing = env.Archive({"https://www.example-news.test/news/no-such-story"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("HTTP 404") != std::string::npos);
}

}  // namespace
}  // namespace stillpost
