// service/: feeds parsed from real publishers' files, tokens, origins, the job JSON both ways.
#include "service/service.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "service/feeds.h"
#include "service/origin.h"
#include "service/tokens.h"
#include "tests/support/temp_dir.h"

namespace stillpost::service {
namespace {

std::string Replayed(const std::string& path) {
  std::ifstream in(std::string(STILLPOST_FIXTURES) + "/replay/" + path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("feeds: RSS, Atom and a Google News sitemap of real publishers") {
  auto rss =
      ParseFeed(Replayed("www.theguardian.com/us/rss"), "https://www.theguardian.com/us/rss");
  REQUIRE(rss);
  CHECK(rss->format == "rss");
  CHECK(rss->title == "The Guardian");
  REQUIRE(rss->items.size() == 55);
  CHECK(rss->items[0].url ==
        "https://www.theguardian.com/us-news/2018/jan/31/"
        "donald-trump-state-of-the-union-address-unity-discord");
  CHECK(rss->items[0].title ==
        "Trump State of the Union address promised unity but emphasized discord");
  CHECK(!rss->items[0].published.empty());

  auto atom = ParseFeed(Replayed("www.heise.de/developer/rss/news-atom.xml"),
                        "http://www.heise.de/developer/rss/news-atom.xml");
  REQUIRE(atom);
  CHECK(atom->format == "atom");
  REQUIRE(atom->items.size() == 15);
  CHECK(atom->items[0].url.rfind("http://www.heise.de/developer/meldung/Java-Anwendungsserver",
                                 0) == 0);
  CHECK(atom->items[0].title == "Java-Anwendungsserver: Red Hat gibt WildFly 10 frei");

  auto news = ParseFeed(Replayed("www.washingtonpost.com/news-sitemap-politics.xml"),
                        "https://www.washingtonpost.com/news-sitemap-politics.xml");
  REQUIRE(news);
  CHECK(news->format == "news-sitemap");
  REQUIRE(news->items.size() == 4);
  CHECK(news->items[0].url.rfind("https://www.washingtonpost.com/politics/the-latest-roy-moore",
                                 0) == 0);  // the whitespace around <loc> is not part of it
  CHECK(news->items[0].title == "The Latest: Roy Moore thanks Trump in new fundraising appeal");
  CHECK(news->items[0].published == "2017-11-23T02:05:12Z");
}

TEST_CASE("feeds: relative links resolved, non-http links and duplicates dropped, junk refused") {
  auto feed = ParseFeed(
      "<rss><channel><item><link>/a</link></item><item><link>/a</link></item>"
      "<item><link>javascript:alert(1)</link></item><item><guid>https://n.example/g</guid></item>"
      "<item><guid isPermaLink=\"false\">tag:1</guid></item></channel></rss>",
      "https://n.example/feed");
  REQUIRE(feed);
  REQUIRE(feed->items.size() == 2);
  CHECK(feed->items[0].url == "https://n.example/a");
  CHECK(feed->items[1].url == "https://n.example/g");
  auto index = ParseFeed(
      "<sitemapindex><sitemap><loc>https://n.example/s1.xml</loc></sitemap></sitemapindex>",
      "https://n.example/sitemap.xml");
  REQUIRE(index);
  CHECK(index->format == "sitemap-index");
  CHECK(index->sitemaps == std::vector<std::string>{"https://n.example/s1.xml"});
  CHECK(!ParseFeed("not xml at all", "https://n.example/"));
  CHECK(!ParseFeed("<html><body/></html>", "https://n.example/"));
  // An external entity is never fetched or expanded.
  auto xxe = ParseFeed(
      "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
      "<rss><channel><title>&x;</title></channel></rss>",
      "https://n.example/");
  REQUIRE(xxe);
  CHECK(xxe->title.find("root:") == std::string::npos);
}

TEST_CASE("tokens: NAME:TOKEN lines, comments, bad lines refused, a match names its token") {
  testing::TempDir dir;
  {
    std::ofstream(dir.Sub("t"))
        << "# newsroom\n\ndesk: 0123456789abcdef0123\nbot:fedcba9876543210\n";
    std::ofstream(dir.Sub("bad")) << "desk 0123456789abcdef\n";
    std::ofstream(dir.Sub("short")) << "desk:short\n";
    std::ofstream(dir.Sub("twice")) << "a:0123456789abcdef\na:fedcba9876543210\n";
  }
  auto t = Tokens::Load(dir.Sub("t"));
  REQUIRE(t);
  CHECK(t->size() == 2);
  CHECK(t->Authenticate("Bearer 0123456789abcdef0123") == "desk");
  CHECK(t->Authenticate("bearer fedcba9876543210") == "bot");
  CHECK(t->Authenticate("Bearer 0123456789abcdef012") == "");
  CHECK(t->Authenticate("Basic 0123456789abcdef0123") == "");
  CHECK(t->Authenticate("") == "");
  CHECK(Tokens::Load(dir.Sub("bad")).error().message().find(":1: not NAME:TOKEN") !=
        std::string::npos);
  CHECK(!Tokens::Load(dir.Sub("short")));
  CHECK(!Tokens::Load(dir.Sub("twice")));
  CHECK(Tokens::Load(dir.Sub("none")).error().code() == StatusCode::kNotFound);
  auto fresh = NewToken();
  REQUIRE(fresh);
  CHECK(fresh->size() == 64);
  CHECK(*fresh != *NewToken());
}

TEST_CASE("origins: scheme, host and port, normalized, and anything more refused") {
  CHECK(*NormalizeOrigin("https://News.Example") == "https://news.example");
  CHECK(*NormalizeOrigin("https://news.example:443/") == "https://news.example");
  CHECK(*NormalizeOrigin("http://news.example:8080") == "http://news.example:8080");
  CHECK(!NormalizeOrigin("https://news.example/path"));
  CHECK(!NormalizeOrigin("news.example"));
  CHECK(!NormalizeOrigin("ftp://news.example"));
  CHECK(!NormalizeOrigin("https://user@news.example"));
  // A page's origin, as the seen route and the job that fetched the page both read it.
  CHECK(OriginOf("https://News.Example:443/story?id=1#top") == "https://news.example");
  CHECK(OriginOf("http://news.example:8080/a") == "http://news.example:8080");
  CHECK(OriginOf("ftp://news.example/a").empty());
  CHECK(OriginOf("not a url").empty());
}

TEST_CASE("job JSON: what the API prints, the CLI reads back") {
  JobView view;
  view.job.set_id("00000000000000010000000000000002");
  view.job.set_state(proto::Job::STATE_DONE);
  view.job.set_expanded(true);
  view.job.add_refs()->set_key("x/1");
  view.job.add_refs()->set_key("x/2");
  auto* a = view.job.add_articles();
  a->mutable_article()->set_url("https://n.example/a");
  a->mutable_article()->set_title("A \"story\"");
  a->set_found(2);
  proto::JobOutcome o;
  o.set_index(1);
  o.set_key("x/2");
  o.set_kind(proto::JobOutcome::KIND_GONE);
  o.set_gone_kind(proto::Tombstone::KIND_DELETED);
  o.set_detail("gone");
  o.set_transition("deleted");
  o.set_bytes(12);
  view.outcomes.push_back(o);
  auto back = ParseJobJson(JobJson(view));
  REQUIRE(back);
  CHECK(back->job.state() == proto::Job::STATE_DONE);
  CHECK(back->job.refs_size() == 2);
  CHECK(back->job.articles(0).article().title() == "A \"story\"");
  CHECK(back->job.articles(0).found() == 2);
  REQUIRE(back->outcomes.size() == 1);
  CHECK(back->outcomes[0].index() == 1);
  CHECK(back->outcomes[0].gone_kind() == proto::Tombstone::KIND_DELETED);
  CHECK(back->outcomes[0].transition() == "deleted");
  CHECK(back->outcomes[0].bytes() == 12);
  CHECK(JobJson(view).find("\"outcome\":\"deleted\"") != std::string::npos);
  CHECK(!ParseJobJson("nope"));
}

}  // namespace
}  // namespace stillpost::service
