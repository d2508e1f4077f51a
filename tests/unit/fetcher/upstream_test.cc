#include "fetcher/upstream.h"

#include <catch2/catch.hpp>

namespace stillpost::fetcher {
namespace {

TEST_CASE("upstream: HOST=BASE and *=BASE rewrite requests, canonical URLs stay as they are") {
  UpstreamMap map;
  REQUIRE(map.Add("pbs.twimg.com=http://127.0.0.1:9000/pbs").ok());
  REQUIRE(map.Add("*=http://127.0.0.1:9000/").ok());
  auto a = map.Resolve("https://pbs.twimg.com/media/A?format=jpg&name=orig");
  REQUIRE(a.has_value());
  CHECK(a->url == "http://127.0.0.1:9000/pbs/media/A?format=jpg&name=orig");
  CHECK(a->rewritten);
  auto b = map.Resolve("https://cdn.syndication.twimg.com/tweet-result?id=20&token=x");
  CHECK(b->url == "http://127.0.0.1:9000/cdn.syndication.twimg.com/tweet-result?id=20&token=x");
  // Literal addresses and localhost are never rewritten: they are not upstreams.
  auto c = map.Resolve("http://127.0.0.1:6379/");
  CHECK(c->url == "http://127.0.0.1:6379/");
  CHECK_FALSE(c->rewritten);
  auto d = map.Resolve("http://[::1]/x");
  CHECK_FALSE(d->rewritten);
}

TEST_CASE("upstream: without rules nothing changes, malformed rules are refused") {
  UpstreamMap map;
  CHECK(map.Resolve("https://x.com/a")->url == "https://x.com/a");
  CHECK_FALSE(map.Resolve("ftp://x.com/a").has_value());
  CHECK(map.Add("noequals").code() == StatusCode::kInvalidArgument);
  CHECK(map.Add("=http://a").code() == StatusCode::kInvalidArgument);
  CHECK(map.Add("x.com=file:///etc").code() == StatusCode::kInvalidArgument);
  CHECK(map.AddList("a.com=http://127.0.0.1:1, b.com=http://127.0.0.1:2").ok());
  CHECK(map.Resolve("https://b.com/z")->url == "http://127.0.0.1:2/z");
}

}  // namespace
}  // namespace stillpost::fetcher
