#include <catch2/catch.hpp>

#include "fetcher/x/x.h"

namespace stillpost::fetcher::x {
namespace {

// Made with node 20: ((Number(id) / 1e15) * Math.PI).toString(36).replace(/(0+|\.)/g, '')
TEST_CASE("x: the syndication token matches react-tweet's formula digit for digit") {
  const std::pair<const char*, const char*> golden[] = {
      {"20", "6dq1a2xwd93"},
      {"1629307668568633344", "3y6mctgwzxo"},
      {"1", "bhi2ay3f28n"},
      {"9", "2vdikqiurk6"},
      {"10", "36vn1gy6mk"},
      {"123", "138spvehogpo"},
      {"999999", "6u6rpcbb5h"},
      {"1000000000000000", "353i5ab8p5f"},
      {"883275154715705344", "252w2e8dh7i"},
      {"883302522549305344", "252z5tndq9u"},
      {"883326060983353344", "2531tnrwvqg"},
      {"1641086480675225601", "3z7miaszni8"},
      {"1641895049427550208", "3za5ye2w3ov"},
      {"1629262255744503809", "3y6h7x4gn61"},
      {"1684218600456876032", "42z4mwgp9h8"},
      {"2023357708301455483", "4wkkd5uwebk"},
      {"1234567890123456789", "2zqic77uqyk"},
      {"9223372036854775807", "mcw2svce2ao"},
      {"500000000000000000", "17mso1f84tb"},
      {"1111111111111111111", "2oynpf5u2p5"},
      {"1400000000000007919", "3e689pl16c2"},
      {"31415926535", "4lrrszksxwh"},
      {"1845327683412345678", "4h19n6ui1p7"},
      {"100", "vwm6eephu8"},
  };
  for (const auto& [id, token] : golden) {
    INFO(id);
    CHECK(SyndicationToken(id) == token);
  }
}

// Made with node 20: v.toString(radix)
TEST_CASE("x: DoubleToRadix writes what JavaScript's Number#toString(radix) writes") {
  struct Case {
    double value;
    int radix;
    const char* text;
  };
  const Case cases[] = {
      {0.5, 2, "0.1"},
      {0.5, 36, "0.i"},
      {0.1, 2, "0.0001100110011001100110011001100110011001100110011001101"},
      {0.1, 16, "0.1999999999999a"},
      {0.1, 36, "0.3lllllllllm"},
      {1.0 / 3, 16, "0.55555555555554"},
      {1.0 / 3, 36, "0.c"},
      {3.141592653589793, 2, "11.001001000011111101101010100010001000010110100011"},
      {3.141592653589793, 16, "3.243f6a8885a3"},
      {3.141592653589793, 36, "3.53i5ab8p5f"},
      {1e-7, 16, "0.000001ad7f29abcaf48"},
      {1e-7, 36, "0.000061oezo085tl"},
      {123.456, 16, "7b.74bc6a7ef9dc"},
      {123.456, 36, "3f.gez4w97ry"},
      {9007199254740994, 36, "2gosa7pa2gy"},
      {1e21, 16, "3635c9adc5dea00000"},
      {1e21, 36, "5v1j4f4ds7c000"},
      {-42.125, 2, "-101010.001"},
      {-42.125, 36, "-16.4i"},
      {5e-324, 36, nullptr},  // "0." then 207 zeros then "3", checked below

  };
  for (const auto& c : cases) {
    INFO(c.value << " radix " << c.radix);
    const std::string expected =
        c.text != nullptr ? c.text : "0." + std::string(207, '0') + "3";  // the least denormal
    CHECK(DoubleToRadix(c.value, c.radix) == expected);
  }
}

TEST_CASE("x: every URL form of a post gives its id") {
  const char* forms[] = {
      "20",
      "https://twitter.com/jack/status/20",
      "https://x.com/jack/status/20",
      "http://www.twitter.com/jack/status/20",
      "https://mobile.twitter.com/jack/status/20",
      "https://m.twitter.com/jack/status/20",
      "https://www.x.com/jack/status/20",
      "https://twitter.com/jack/statuses/20",
      "https://twitter.com/i/web/status/20",
      "https://x.com/i/status/20",
      "https://twitter.com/jack/status/20/photo/1",
      "https://x.com/jack/status/20/video/2",
      "https://twitter.com/#!/jack/status/20",
      "https://twitter.com/jack/status/20?ref_src=twsrc%5Etfw",
      "https://x.com/jack/status/20?s=20&t=abc#reply",
      "https://fxtwitter.com/jack/status/20",
      "https://vxtwitter.com/jack/status/20",
      "https://fixupx.com/jack/status/20",
      "x.com/jack/status/20",
      "  https://X.COM/jack/status/20  ",
      "https://nitter.example/jack/status/20",
  };
  for (const char* f : forms) {
    INFO(f);
    auto id = ParsePostRef(f, {"nitter.example"});
    REQUIRE(id.has_value());
    CHECK(*id == "20");
  }
}

TEST_CASE("x: profiles, hashtags, searches, intents and other sites are refused with a reason") {
  const std::pair<const char*, const char*> refused[] = {
      {"https://twitter.com/jack", "a profile"},
      {"https://twitter.com/hashtag/G20Summit?src=hash", "a hashtag"},
      {"https://twitter.com/search?q=x", "a search"},
      {"https://twitter.com/intent/tweet?text=hi", "intent"},
      {"https://twitter.com/share?url=x", "intent"},
      {"https://example.com/jack/status/20", "not an X host"},
      {"https://nitter.example/jack/status/20", "not an X host"},
      {"ftp://twitter.com/jack/status/20", "http(s)"},
      {"https://twitter.com/jack/status/abc", "not a number"},
      {"https://twitter.com/", "home page"},
      {"12345678901234567890", "19 digits"},
      {"", "empty"},
  };
  for (const auto& [input, why] : refused) {
    INFO(input);
    auto id = ParsePostRef(input);
    REQUIRE_FALSE(id.has_value());
    CHECK(id.error().code() == StatusCode::kInvalidArgument);
    CHECK(id.error().message().find(why) != std::string::npos);
  }
}

TEST_CASE("x: the tweet-result URL carries the id, the token and react-tweet's features") {
  const std::string url = TweetResultUrl("20");
  CHECK(url.rfind("https://cdn.syndication.twimg.com/tweet-result?id=20&lang=en&features=", 0) ==
        0);
  CHECK(url.find("tfw_tweet_edit_frontend") != std::string::npos);
  CHECK(url.find("&token=6dq1a2xwd93") != std::string::npos);
}

}  // namespace
}  // namespace stillpost::fetcher::x
