// The seed article in a real headless Chromium, with X's widgets.js swapped for our embed.js
// served by a real `stillpost serve`: the three blockquotes become our iframes, sized by the
// height each embed posts, and screenshots in light and dark are kept as test artefacts.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/support/chromium.h"
#include "tests/support/fixtures.h"
#include "tests/support/replay.h"
#include "tests/support/run.h"
#include "tests/support/serve.h"
#include "tests/support/temp_dir.h"

namespace stillpost {
namespace {

namespace fs = std::filesystem;
using testing::Run;

using testing::ChromiumArgs;
using testing::kChromium;

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

// The page's DOM once its scripts ran, and the stillpost iframes in it, in document order.
struct LoadedPage {
  std::string dom;
  std::vector<std::string> frames;
};

LoadedPage LoadPage(const testing::TempDir& dir, const std::string& url, int height) {
  auto args = ChromiumArgs(dir.Sub("profile"));
  args.push_back("--virtual-time-budget=10000");
  args.push_back("--window-size=900," + std::to_string(height));  // every embed in view
  // --dump-dom ends with virtual time, before messages from out-of-process (cross-site) frames
  // arrive; in one process they arrive in time. The screenshots keep site isolation on.
  args.push_back("--disable-features=IsolateOrigins,site-per-process");
  args.push_back("--disable-site-isolation-trials");
  args.push_back("--dump-dom");
  args.push_back(url);
  auto dom = Run(kChromium, args);
  INFO(dom.err.substr(0, 2000));
  REQUIRE(dom.exit_code == 0);
  LoadedPage page{dom.out, {}};
  std::regex frame(R"(<iframe[^>]*class="stillpost-embed"[^>]*>)");
  for (auto it = std::sregex_iterator(page.dom.begin(), page.dom.end(), frame);
       it != std::sregex_iterator(); ++it) {
    page.frames.push_back(it->str());
  }
  return page;
}

// The height an iframe was given (by the height message the embed posted).
int FrameHeight(const std::string& frame) {
  std::smatch h;
  if (!std::regex_search(frame, h, std::regex(R"re(height="(\d+)")re"))) return -1;
  return std::stoi(h[1]);
}

// A screenshot of `url`, kept under build/tests/artifacts/NAME for a person to look at.
void Screenshot(const testing::TempDir& dir, const std::string& url, const std::string& name,
                int height) {
  const fs::path artifacts = fs::path(STILLPOST_BIN_DIR).parent_path() / "tests" / "artifacts";
  fs::create_directories(artifacts);
  auto shot = ChromiumArgs(dir.Sub("profile-" + name));
  const std::string png = (artifacts / name).string();
  shot.push_back("--virtual-time-budget=10000");
  shot.push_back("--window-size=900," + std::to_string(height));
  shot.push_back("--screenshot=" + png);
  shot.push_back(url);
  auto r = Run(kChromium, shot);
  CHECK(r.exit_code == 0);
  CHECK(fs::file_size(png) > 10000);
}

TEST_CASE("browser: embed.js turns the seed article's blockquotes into sized archived embeds") {
  REQUIRE(fs::exists(kChromium));  // scripts/setup installs Debian's chromium
  testing::TempDir dir;
  const std::string db = dir.Sub("db");
  testing::ReplayServer upstream(testing::ReplayRoot());
  auto archived = Run(
      testing::StillpostBinary(),
      {"--db", db, "archive", "--upstream", upstream.upstream_flag(), "--allow-private-upstreams",
       "883275154715705344", "883302522549305344", "883326060983353344"});
  INFO(archived.out << archived.err);
  REQUIRE(archived.exit_code == 0);

  testing::ServeProcess serve(db);
  // The article as its publisher would serve it with our drop-in instead of widgets.js.
  const std::string article =
      Replace(testing::Fixture("seed-article/article.html"),
              "https://platform.twitter.com/widgets.js", serve.base() + "/embed.js");
  REQUIRE(article.find(serve.base() + "/embed.js") != std::string::npos);
  fs::create_directories(dir.Sub("site/news"));
  std::ofstream(dir.Sub("site/news/article.html")) << article;
  std::ofstream(dir.Sub("site/news/article-dark.html")) << Replace(
      Replace(article, "class=\"twitter-tweet\"", "class=\"twitter-tweet\" data-theme=\"dark\""),
      "<body>", "<body style=\"background:#000;color:#ddd\">");
  testing::ReplayServer site(dir.Sub("site"));

  const LoadedPage dom = LoadPage(dir, site.base() + "/news/article.html", 4200);
  const auto& frames = dom.frames;
  INFO(dom.dom.substr(0, 4000));
  REQUIRE(frames.size() == 3);
  CHECK(dom.dom.find("blockquote class=\"twitter-tweet\"") == std::string::npos);
  const std::string ids[] = {"883275154715705344", "883302522549305344", "883326060983353344"};
  const std::string texts[] = {"I look forward to all meetings today",
                               "Everyone here is talking about", "Get a grip man"};
  testing::HttpGetter http;
  for (size_t i = 0; i < 3; ++i) {
    INFO(frames[i]);
    CHECK(frames[i].find("/embed/x/" + ids[i]) != std::string::npos);
    const int height = FrameHeight(frames[i]);
    CHECK(height > 100);
    CHECK(height != 300);  // set from the height the embed posted, not the placeholder
    CHECK(http.Get(serve.base() + "/embed/x/" + ids[i]).body.find(texts[i]) != std::string::npos);
  }
  CHECK(frames[2].find("hide_thread=1") != std::string::npos);  // data-conversation="none"

  // Screenshots, kept for a person to look at.
  Screenshot(dir, site.base() + "/news/article.html", "seed-article.png", 4200);
  Screenshot(dir, site.base() + "/news/article-dark.html", "seed-article-dark.png", 4200);
}

}  // namespace
}  // namespace stillpost

namespace stillpost {
namespace {

TEST_CASE(
    "browser: one article, three networks - embed.js upgrades X, Bluesky and Mastodon embeds") {
  REQUIRE(fs::exists(kChromium));
  testing::TempDir dir;
  const std::string db = dir.Sub("db");
  testing::ReplayServer upstream(testing::ReplayRoot());
  const std::string page = std::string(STILLPOST_FIXTURES) + "/articles/three-networks.html";
  auto archived = Run(testing::StillpostBinary(),
                      {"--db", db, "archive", "--upstream", upstream.upstream_flag(),
                       "--allow-private-upstreams", page});
  INFO(archived.out << archived.err);
  REQUIRE(archived.exit_code == 0);
  REQUIRE(archived.out.find("3 posts: 3 captured") != std::string::npos);

  testing::ServeProcess serve(db);
  // The publisher's page through `stillpost rewrite`: each platform's script becomes ours.
  auto rewritten =
      Run(testing::StillpostBinary(), {"--db", db, "rewrite", page, "--base", serve.base()});
  REQUIRE(rewritten.exit_code == 0);
  const std::string article = rewritten.out;
  CHECK(article.find("platform.twitter.com/widgets.js") == std::string::npos);
  CHECK(article.find("embed.bsky.app/static/embed.js") == std::string::npos);
  CHECK(article.find("https://mastodon.social/embed.js") == std::string::npos);
  fs::create_directories(dir.Sub("site/news"));
  std::ofstream(dir.Sub("site/news/three.html")) << article;
  std::ofstream(dir.Sub("site/news/three-dark.html")) << Replace(
      Replace(Replace(Replace(article, "class=\"twitter-tweet\"",
                              "class=\"twitter-tweet\" data-theme=\"dark\""),
                      "class=\"bluesky-embed\"",
                      "class=\"bluesky-embed\" data-bluesky-embed-color-mode=\"dark\""),
              "class=\"mastodon-embed\"", "class=\"mastodon-embed\" data-theme=\"dark\""),
      "<body>", "<body style=\"background:#000;color:#ddd\">");
  testing::ReplayServer site(dir.Sub("site"));

  const LoadedPage dom = LoadPage(dir, site.base() + "/news/three.html", 3000);
  const auto& frames = dom.frames;
  INFO(dom.dom.substr(0, 6000));
  REQUIRE(frames.size() == 3);
  const std::string keys[] = {"x/1641086480675225601",
                              "bsky/did:plc:z7ja7uhcr5is6uqmnsjyn3k7/3lhmggpkbw22v",
                              "mastodon/mastodon.social/103270115826048975"};
  const std::string texts[] = {"If you are interested", "It was time to go M1 to M4",
                               "I lost my inheritance"};
  testing::HttpGetter http;
  for (size_t i = 0; i < 3; ++i) {
    INFO(frames[i]);
    CHECK(frames[i].find("/embed/" + keys[i]) != std::string::npos);
    CHECK(FrameHeight(frames[i]) > 100);
    CHECK(FrameHeight(frames[i]) != 300);
    CHECK(http.Get(serve.base() + "/embed/" + keys[i]).body.find(texts[i]) != std::string::npos);
  }
  CHECK(dom.dom.find("blockquote class=\"bluesky-embed\"") == std::string::npos);
  CHECK(dom.dom.find("blockquote class=\"mastodon-embed\"") == std::string::npos);

  Screenshot(dir, site.base() + "/news/three.html", "three-networks-light.png", 2600);
  Screenshot(dir, site.base() + "/news/three-dark.html", "three-networks-dark.png", 2600);
}

}  // namespace
}  // namespace stillpost

namespace stillpost {
namespace {

TEST_CASE("browser: a malformed embed is left alone and every other embed is still upgraded") {
  REQUIRE(fs::exists(kChromium));
  testing::TempDir dir;
  const std::string db = dir.Sub("db");
  testing::ReplayServer upstream(testing::ReplayRoot());
  REQUIRE(Run(testing::StillpostBinary(),
              {"--db", db, "archive", "--upstream", upstream.upstream_flag(),
               "--allow-private-upstreams", "883275154715705344",
               "at://did:plc:z7ja7uhcr5is6uqmnsjyn3k7/app.bsky.feed.post/3lhmggpkbw22v"})
              .exit_code == 0);
  testing::ServeProcess serve(db);
  // First a URI that decodeURIComponent throws on (URIError), then DIDs whose decoding would
  // leave the path segment, then two good embeds.
  const std::string page = R"(<!doctype html><html><body>
<blockquote class="bluesky-embed" data-bluesky-uri="at://did:plc:abc%E0%A4%A/app.bsky.feed.post/3k2a"><p>bad</p></blockquote>
<blockquote class="bluesky-embed" data-bluesky-uri="at://did:plc:..%2F..%2Fmedia/app.bsky.feed.post/3k2b"><p>steer</p></blockquote>
<blockquote class="bluesky-embed" data-bluesky-uri="at://did:plc:abc/app.bsky.feed.post/.."><p>dots</p></blockquote>
<blockquote class="bluesky-embed" data-bluesky-uri="at://did:plc:z7ja7uhcr5is6uqmnsjyn3k7/app.bsky.feed.post/3lhmggpkbw22v"><p>good</p></blockquote>
<blockquote class="twitter-tweet"><p>t</p><a href="https://twitter.com/a/status/883275154715705344">July 7</a></blockquote>
<script async src=")" + serve.base() +
                           R"(/embed.js"></script></body></html>)";
  fs::create_directories(dir.Sub("site"));
  std::ofstream(dir.Sub("site/mixed.html")) << page;
  testing::ReplayServer site(dir.Sub("site"));
  const LoadedPage dom = LoadPage(dir, site.base() + "/mixed.html", 2400);
  INFO(dom.dom.substr(0, 6000));
  REQUIRE(dom.frames.size() == 2);
  CHECK(dom.frames[0].find("/embed/bsky/did:plc:z7ja7uhcr5is6uqmnsjyn3k7/3lhmggpkbw22v") !=
        std::string::npos);
  CHECK(dom.frames[1].find("/embed/x/883275154715705344") != std::string::npos);
  CHECK(dom.dom.find(">bad<") != std::string::npos);  // left as the page had it
  CHECK(dom.dom.find(">steer<") != std::string::npos);
  CHECK(dom.dom.find(">dots<") != std::string::npos);
  CHECK(dom.dom.find("/media") == std::string::npos);
}

}  // namespace
}  // namespace stillpost
