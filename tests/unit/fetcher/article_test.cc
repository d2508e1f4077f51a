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

TEST_CASE(
    "article: a page's canonical link names another site's article: the fetched URL is kept") {
  const std::string html =
      R"(<html><head><link rel="canonical" href="https://victim.example/story"></head>)"
      R"(<body><p>x</p></body></html>)";
  CHECK(ScanArticle(html, "https://attacker.example/page").canonical_url ==
        "https://attacker.example/page");
  CHECK(ScanArticle(html, "https://www.victim.example/story?utm=1").canonical_url ==
        "https://victim.example/story");
  CHECK(ScanArticle(html, "file:///tmp/saved.html").canonical_url ==
        "https://victim.example/story");
  const std::string js = R"x(<link rel="canonical" href="javascript:alert(1)">)x";
  CHECK(ScanArticle(js, "file:///tmp/saved.html").canonical_url == "file:///tmp/saved.html");
}

TEST_CASE("article: the seed article has exactly its three posts, the body link folded in") {
  const auto a = ScanArticle(testing::Fixture("seed-article/article.html"),
                             "https://example-news.test/news/trump-and-putin?amp=1");
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
<ul class="links"><li><a href="https://twitter.com/intent/tweet?url=https://news.example/n">X</a>
<li><a href="https://www.linkedin.com/shareArticle?url=https://news.example/n">LinkedIn</a>
<li><a href="https://twitter.com/someone/status/12">our post about it</a></ul>
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
                                   "https://news.example/" + name, {{"nitter.example"}})
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
  const auto amp = ScanArticle(testing::Fixture("articles/amp.html"), "file:///tmp/amp.html");
  CHECK(amp.canonical_url == "https://news.example/amp-story");
  CHECK(amp.title == "AMP story");
}

}  // namespace
}  // namespace stillpost::fetcher

namespace stillpost::fetcher {
namespace {

TEST_CASE("article: a page nested 100,000 deep is scanned and rewritten without falling over") {
  const std::string widgets = "https://platform.twitter.com/widgets.js";
  std::string page = "<html><head><script async src=\"" + widgets +
                     "\"></script></head><body><p><a href=\"https://x.com/a/status/1\">first</a>"
                     "</p>";
  for (int i = 0; i < 100000; ++i) page += "<div>";
  page += "<a href=\"https://x.com/a/status/2\">too deep to matter</a>";
  page += "<script src=\"" + widgets + "\"></script></body></html>";
  const auto a = ScanArticle(page, "https://news.example/deep");
  REQUIRE(a.posts.size() == 1);
  CHECK(a.posts[0].key == "x/1");
  // The script in the head is ours now; the one past the depth bound is left as it was (a
  // page that deep is no article), and nothing else changed.
  const std::string rewritten = RewritePage(page, {"https://archive.example", false});
  const std::string ours = "\"https://archive.example/embed.js\"";
  CHECK(rewritten.find("<script async src=" + ours + "></script></head>") != std::string::npos);
  CHECK(rewritten.find(ours) == rewritten.rfind(ours));
  CHECK(rewritten.find(widgets) != std::string::npos);  // the deep one
  std::string expected = page;
  expected.replace(expected.find("\"" + widgets + "\""), widgets.size() + 2, ours);
  CHECK(rewritten == expected);
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

namespace stillpost::fetcher {
namespace {

std::string Page(const std::string& body, const std::string& body_attrs = "") {
  // Enough article text for the main content to be found (readability's threshold).
  std::string text(300, 'w');
  for (size_t i = 7; i < text.size(); i += 8) text[i] = ' ';
  return "<html><body" + body_attrs + "><article><h1>Story</h1><p>" + text + "</p>" + body +
         "</article></body></html>";
}

std::vector<std::string> KeysOf(const ScannedArticle& a) {
  std::vector<std::string> out;
  for (const auto& p : a.posts) out.push_back(p.key + " " + p.found_as);
  return out;
}

TEST_CASE("article: wrappers named like share widgets keep their embeds") {
  const std::string embeds = R"(
<div class="social-embed"><blockquote class="twitter-tweet"><p>a</p>
<a href="https://twitter.com/a/status/101">May 1</a></blockquote></div>
<div class="social-media-embed"><blockquote class="twitter-tweet"><p>b</p>
<a href="https://twitter.com/b/status/102">May 2</a></blockquote></div>
<figure class="embed--social"><a href="https://x.com/c/status/103">a post</a></figure>
<div id="share-this-story"><a href="https://twitter.com/d/status/104">the post</a></div>)";
  const auto a =
      ScanArticle(Page(embeds, R"( class="share-enabled social-page")"), "https://news.example/s");
  CHECK(KeysOf(a) == std::vector<std::string>{"x/101 blockquote", "x/102 blockquote", "x/103 link",
                                              "x/104 link"});
  CHECK(a.scope == "main-content");
  CHECK(a.scope_path == "body.share-enabled > article");
}

TEST_CASE("article: a share widget is known by its links, not by its name") {
  const std::string body = R"(
<ul class="tools"><li><a href="https://twitter.com/intent/tweet?url=u">X</a>
<li><a href="https://www.facebook.com/sharer/sharer.php?u=u">Facebook</a>
<li><a href="mailto:?body=u">Mail</a><li><a href="https://x.com/site/status/201">our post</a></ul>
<blockquote class="twitter-tweet"><p>c</p><a href="https://twitter.com/intent/like?tweet_id=202">Like</a>
<a href="https://twitter.com/intent/retweet?tweet_id=202">Retweet</a>
<a href="https://twitter.com/e/status/202">June 1</a></blockquote>)";
  CHECK(KeysOf(ScanArticle(Page(body), "https://news.example/w")) ==
        std::vector<std::string>{"x/202 blockquote"});
}

TEST_CASE("article: every embed form real pages use") {
  const std::string body = R"(
<div class="tweet-placeholder" data-tweet-id="301"></div>
<iframe class="twitter-tweet-rendered" data-tweet-id="302"></iframe>
<iframe src="https://platform.twitter.com/embed/index.html?dnt=true&amp;frame=false&amp;id=303&amp;lang=en"></iframe>
<iframe data-src="https://platform.twitter.com/embed/Tweet.html?id=304" src="about:blank"></iframe>
<amp-twitter width="375" height="472" data-tweetid="https://twitter.com/f/status/305"></amp-twitter>
<blockquote class="twitter-tweet" data-url="https://twitter.com/g/status/306"><p>no link inside</p></blockquote>
<div class="iframely-embed"><div class="iframely-responsive"><a data-iframely-url="//cdn.iframe.ly/api/iframe?url=https%3A%2F%2Ftwitter.com%2Fh%2Fstatus%2F307&amp;key=k"></a></div></div>
<div data-embedded-url="https://x.com/i/status/308"></div>
<figure class="wp-block-embed is-type-rich is-provider-twitter wp-block-embed-twitter"><div class="wp-block-embed__wrapper">
https://twitter.com/i/status/309
</div></figure>
<p><a href="https://de.twitter.com/k/status/310">de.</a> <a href="https://mobile.twitter.com/k/status/311?s=20&amp;t=abc">mobile</a>
<a href="https://twitter.com/k/statuses/312">statuses</a></p>
<iframe data-lazy-src="https://embed.bsky.app/embed/did:plc:abc/app.bsky.feed.post/3k2x"></iframe>
<iframe loading="lazy" data-src="https://social.example/@ann/110000000000000009/embed" class="mastodon-embed"></iframe>)";
  const auto a = ScanArticle(Page(body), "https://news.example/forms");
  CHECK(KeysOf(a) == std::vector<std::string>{
                         "x/301 embed", "x/302 iframe", "x/303 iframe", "x/304 iframe", "x/305 amp",
                         "x/306 blockquote", "x/307 embed", "x/308 embed", "x/309 embed",
                         "x/310 link", "x/311 link", "x/312 link", "bsky/did:plc:abc/3k2x iframe",
                         "mastodon/social.example/110000000000000009 iframe"});
}

TEST_CASE("article: posts that are not the article's own are left out, --whole-page keeps them") {
  std::string text(400, 'z');
  for (size_t i = 9; i < text.size(); i += 10) text[i] = ' ';
  const std::string html = R"(<html><body><div id="page">
<article class="story"><h1>First story</h1><p>)" +
                           text + R"(</p>
<blockquote class="twitter-tweet"><a href="https://twitter.com/a/status/401">May 1</a></blockquote>
<div class="related"><a href="https://news.example/other">Other story</a></div></article>
<aside class="widget"><h3>Latest tweets</h3><ul><li><a href="https://twitter.com/site/status/402">t</a></ul></aside>
<article class="story next"><h1>Next story, loaded on scroll</h1><p>)" +
                           text + text + R"(</p>
<blockquote class="twitter-tweet"><a href="https://twitter.com/b/status/403">May 2</a></blockquote></article>
</div></body></html>)";
  const auto a = ScanArticle(html, "https://news.example/first");
  CHECK(KeysOf(a) == std::vector<std::string>{"x/401 blockquote"});
  CHECK(a.scope == "main-content");
  CHECK(a.scope_path == "body > div#page > article.story");
  ScanOptions whole;
  whole.whole_page = true;
  CHECK(KeysOf(ScanArticle(html, "https://news.example/first", whole)) ==
        std::vector<std::string>{"x/401 blockquote", "x/402 link", "x/403 blockquote"});
}

TEST_CASE("article: a live blog's entries are all the article's") {
  std::string entries;
  for (int i = 0; i < 4; ++i) {
    entries += "<article class=\"entry\"><h2>Update " + std::to_string(i) + "</h2><p>" +
               std::string(120, 'u') + " u</p><a href=\"https://twitter.com/a/status/50" +
               std::to_string(i) + "\">post</a></article>";
  }
  const auto a =
      ScanArticle("<html><body><h1>Live</h1><div id=\"feed\">" + entries + "</div></body></html>",
                  "https://news.example/live");
  CHECK(KeysOf(a) ==
        std::vector<std::string>{"x/500 link", "x/501 link", "x/502 link", "x/503 link"});
  CHECK(a.scope_path == "body > div#feed");
}

TEST_CASE("article: a Mastodon-shaped link on a host nobody says is Mastodon is unverified") {
  const std::string body =
      R"(<p><a href="https://aggregator.example/@news/1599766">story 1599766</a>
<a href="https://mastodon.social/@Gargron/103270115826048975">a post</a>
<a href="https://fedi.example/@ann/110000000000000007">another</a></p>
<blockquote class="mastodon-embed" data-embed-url="https://fedi.example/@ann/110000000000000008/embed"></blockquote>)";
  const auto a = ScanArticle(Page(body), "https://news.example/m");
  REQUIRE(a.posts.size() == 4);
  CHECK(a.posts[0].key == "mastodon/aggregator.example/1599766");
  CHECK(a.posts[0].ref.unverified);
  CHECK_FALSE(a.posts[1].ref.unverified);  // a server everyone knows
  CHECK_FALSE(a.posts[2].ref.unverified);  // the page embeds a post from that server
  CHECK_FALSE(a.posts[3].ref.unverified);
}

}  // namespace
}  // namespace stillpost::fetcher
