#include "fetcher/article.h"

#include <catch2/catch.hpp>

#include "tests/support/fixtures.h"

namespace stillpost::fetcher {
namespace {

std::vector<std::string> Keys(const ScannedArticle& a) {
  std::vector<std::string> out;
  for (const auto& p : a.posts) out.push_back(p.key + " " + p.found_as);
  return out;
}

TEST_CASE("article: the seed article has exactly its three posts, the body link folded in") {
  const auto a =
      ScanArticle(testing::Fixture("seed-article/article.html"), "https://fetched.example/a");
  CHECK(a.canonical_url ==
        "https://www.example-news.test/news/trump-and-putin-meet-face-face-video");
  CHECK(a.title == "Trump And Putin Meet Face To Face (Video)");
  CHECK(Keys(a) == std::vector<std::string>{"x/883275154715705344 blockquote",
                                            "x/883302522549305344 blockquote",
                                            "x/883326060983353344 blockquote"});
}

TEST_CASE("article: every embed form, in document order, each post once") {
  const std::string html =
      R"(<!doctype html><html><head><title> Embeds </title></head><body><article>
<p>First a link: <a href="https://twitter.com/a/status/1?s=20">this</a>.</p>
<amp-twitter data-tweetid="2" width="375" height="472"></amp-twitter>
<iframe src="https://platform.twitter.com/embed/Tweet.html?dnt=true&id=3&theme=light"></iframe>
<iframe data-tweet-id="4" src="https://example.com/x"></iframe>
<blockquote class="twitter-tweet tw-align-center"><p>text <a href="https://t.co/x">t.co</a></p>
  &mdash; A (@a) <a href="https://twitter.com/a/status/1?ref_src=twsrc%5Etfw">July 7, 2017</a></blockquote>
<blockquote class="bluesky-embed" data-bluesky-uri="at://did:plc:abc/app.bsky.feed.post/3k2a"><p>b</p></blockquote>
<blockquote class="mastodon-embed" data-embed-url="https://mastodon.social/@u/116273220331645030/embed"></blockquote>
<iframe class="mastodon-embed" src="https://mastodon.social/@trwnh/99664077509711321/embed"></iframe>
<p>Again <a href="https://x.com/b/status/2">the amp post</a> and <a href="https://mobile.twitter.com/c/status/5/photo/1">a photo</a>.</p>
</article></body></html>)";
  const auto a = ScanArticle(html, "https://news.example/embeds");
  CHECK(a.canonical_url == "https://news.example/embeds");
  CHECK(a.title == "Embeds");
  CHECK(Keys(a) ==
        std::vector<std::string>{"x/1 blockquote", "x/2 amp", "x/3 iframe", "x/4 iframe",
                                 "bsky/did:plc:abc/3k2a blockquote",
                                 "mastodon/mastodon.social/116273220331645030 blockquote",
                                 "mastodon/mastodon.social/99664077509711321 iframe", "x/5 link"});
  CHECK(a.posts[4].ref.key == "bsky/did:plc:abc/3k2a");
  CHECK(a.posts[4].url == "at://did:plc:abc/app.bsky.feed.post/3k2a");
}

TEST_CASE("article: links to Bluesky and Mastodon posts, by DID, handle and remote account") {
  const std::string html = R"(<html><body><article>
<p><a href="https://bsky.app/profile/did:plc:abc/post/3k2a">by DID</a>
<a href="https://bsky.app/profile/Alice.bsky.social/post/3k2b">by handle</a>
<a href="https://bsky.app/profile/alice.bsky.social">a profile</a>
<a href="https://hachyderm.io/@bob@mastodon.social/110000000000000001">remote, seen locally</a>
<a href="https://mastodon.social/users/bob/statuses/110000000000000002">the uri form</a>
<a href="https://mastodon.social/@bob">a profile</a>
<a href="https://mastodon.social/@bob/with_replies">not a post</a>
<a href="https://www.youtube.com/@bob/videos">not Mastodon</a></p>
<iframe src="https://embed.bsky.app/embed/did:plc:abc/app.bsky.feed.post/3k2c"></iframe>
</article></body></html>)";
  const auto a = ScanArticle(html, "https://news.example/f");
  CHECK(Keys(a) == std::vector<std::string>{"bsky/did:plc:abc/3k2a link", " link",
                                            "mastodon/hachyderm.io/110000000000000001 link",
                                            "mastodon/mastodon.social/110000000000000002 link",
                                            "bsky/did:plc:abc/3k2c iframe"});
  REQUIRE(a.posts.size() == 5);
  CHECK(a.posts[1].ref.NeedsResolving());
  CHECK(a.posts[1].ref.bsky_handle == "alice.bsky.social");
  CHECK(a.posts[1].ref.bsky_rkey == "3k2b");
}

TEST_CASE("article: share buttons, profiles, hashtags, nav, footer and script JSON are not posts") {
  const std::string html = R"(<html><body>
<header><a href="https://twitter.com/news/status/10">header link</a></header>
<nav><a href="https://x.com/news/status/11">nav link</a></nav>
<div class="share-buttons"><a href="https://twitter.com/someone/status/12">share</a></div>
<main>
<a href="https://twitter.com/intent/tweet?text=hi&url=https://twitter.com/a/status/13">Tweet this</a>
<a href="https://twitter.com/examplenews">Follow us</a>
<a href="https://twitter.com/hashtag/G20Summit">#G20Summit</a>
<a href="https://twitter.com/search?q=putin">search</a>
<a href="/relative/status/14">relative</a>
<script type="application/ld+json">{"sameAs":"https://twitter.com/a/status/15"}</script>
<script>var t = "<a href='https://twitter.com/a/status/16'>x</a>";</script>
<style>a[href="https://twitter.com/a/status/17"]{color:red}</style>
<p>The only post: <a href="https://x.com/real/status/18">here</a>.</p>
</main>
<footer><a href="https://twitter.com/a/status/19">footer</a></footer>
</body></html>)";
  const auto a = ScanArticle(html, "https://news.example/n");
  CHECK(Keys(a) == std::vector<std::string>{"x/18 link"});
}

}  // namespace
}  // namespace stillpost::fetcher

namespace stillpost::fetcher {
namespace {

std::vector<std::string> ScanFixture(const std::string& name) {
  std::vector<std::string> out;
  for (const auto& p : ScanArticle(testing::Fixture("articles/" + name),
                                   "https://news.example/" + name, {"nitter.example"})
                           .posts) {
    out.push_back(p.key + " " + p.found_as);
  }
  return out;
}

TEST_CASE("article: pages built for each embed form and the negatives") {
  CHECK(ScanFixture("amp.html") ==
        std::vector<std::string>{"x/1641086480675225601 amp", "x/1629262255744503809 amp"});
  CHECK(ScanFixture("iframes.html") ==
        std::vector<std::string>{"x/1684218600456876032 iframe", "x/2023357708301455483 iframe"});
  CHECK(ScanFixture("fediverse.html") ==
        std::vector<std::string>{"bsky/did:plc:z72i7hdynmk6r22z27h6tvur/3lhmggpkbw22v blockquote",
                                 "mastodon/mastodon.social/103270115826048975 blockquote",
                                 "mastodon/mastodon.social/99664077509711321 iframe",
                                 "x/883275154715705344 blockquote"});
  // Referenced by a link, a blockquote, an iframe and another link: once, as the embed.
  CHECK(ScanFixture("twice.html") ==
        std::vector<std::string>{"x/883302522549305344 blockquote", "x/883326060983353344 link"});
  CHECK(ScanFixture("old-forms.html") ==
        std::vector<std::string>{"x/1641895049427550208 blockquote", "x/1629262255744503809 link",
                                 "x/1684218600456876032 link", "x/2023357708301455483 link"});
  CHECK(ScanFixture("negatives.html").empty());
  const auto amp = ScanArticle(testing::Fixture("articles/amp.html"), "https://fetched.example/x");
  CHECK(amp.canonical_url == "https://news.example/amp-story");
  CHECK(amp.title == "AMP story");
}

}  // namespace
}  // namespace stillpost::fetcher

namespace stillpost::fetcher {
namespace {

TEST_CASE("article: a page nested 100,000 deep is scanned and rewritten without falling over") {
  std::string page = "<html><body><p><a href=\"https://x.com/a/status/1\">first</a></p>";
  for (int i = 0; i < 100000; ++i) page += "<div>";
  page += "<a href=\"https://x.com/a/status/2\">too deep to matter</a>";
  page += "<script src=\"https://platform.twitter.com/widgets.js\"></script></body></html>";
  const auto a = ScanArticle(page, "https://news.example/deep");
  REQUIRE(a.posts.size() == 1);
  CHECK(a.posts[0].key == "x/1");
  CHECK(RewritePage(page, {"https://archive.example", false}).size() == page.size());
}

TEST_CASE("article: long legitimate pages are not cut - unclosed p and li, scripts with '<'") {
  std::string page = "<html><body><ul>";
  for (int i = 0; i < 3000; ++i) page += "<li><p>item <img src=x.png><br>";
  page += "</ul><script>for (var i = 0; i<9; i++) { if (a <b) {} }</script>";
  for (int i = 0; i < 600; ++i) page += "<div><span>ok</span></div><!-- <div> -->";
  page += "<a href=\"https://x.com/a/status/3\">the post at the end</a></body></html>";
  const auto a = ScanArticle(page, "https://news.example/long");
  REQUIRE(a.posts.size() == 1);
  CHECK(a.posts[0].key == "x/3");
}

}  // namespace
}  // namespace stillpost::fetcher
