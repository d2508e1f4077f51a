#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "fetcher/x/x.h"
#include "tests/support/fixtures.h"

namespace stillpost::fetcher::x {
namespace {

using proto::Entity;
using proto::Media;
using testing::Fixture;
using testing::Slice;

MappedTweet Map(const std::string& body) {
  auto r = MapTweetResult(body);
  INFO((r ? "" : r.error().message()));
  REQUIRE(r.has_value());
  return std::move(r).value();
}

MappedTweet MapFixture(const std::string& name) { return Map(Fixture(name)); }

// The slice of the post's text each entity covers.
std::vector<std::string> EntitySlices(const proto::Post& p) {
  std::vector<std::string> out;
  for (const auto& e : p.entities()) out.push_back(Slice(p.text(), e.start(), e.end()));
  return out;
}

TEST_CASE("x map: a photo post with a t.co link") {
  const auto m = MapFixture("upstream/x/photo_single_with_url_entity.json");
  const auto& p = m.post;
  REQUIRE_FALSE(m.gone);
  CHECK(p.key() == "x/1641086480675225601");
  CHECK(p.url() == "https://x.com/SamuelSusla/status/1641086480675225601");
  CHECK(p.text() ==
        "If you are interested about View Flattening in React Native, I wrote a short post "
        "about it: https://t.co/4G6RAMfrHy\n\nLet me know what you think!");
  REQUIRE(p.entities_size() == 1);
  CHECK(EntitySlices(p)[0] == "https://t.co/4G6RAMfrHy");
  CHECK(p.entities(0).kind() == Entity::KIND_LINK);
  CHECK(p.entities(0).target() ==
        "https://github.com/reactwg/react-native-new-architecture/discussions/110");
  CHECK(p.entities(0).display() == "github.com/reactwg/react-\u2026");
  REQUIRE(p.media_size() == 1);
  CHECK(p.media(0).kind() == Media::KIND_PHOTO);
  CHECK(p.media(0).original_url() ==
        "https://pbs.twimg.com/media/FsZNOgcWAAEQtrd?format=jpg&name=orig");
  CHECK(m.fallbacks.at(p.media(0).original_url()) ==
        "https://pbs.twimg.com/media/FsZNOgcWAAEQtrd?format=jpg&name=large");
  CHECK(p.media(0).width() == 1995);
  CHECK(p.author().handle() == "SamuelSusla");
  CHECK(p.author().avatar_url() ==
        "https://pbs.twimg.com/profile_images/1042172116911697920/JkIt3onc_400x400.jpg");
  CHECK(p.counts().likes() == 226);
  CHECK(p.created_at().seconds() == 1680100481);
  CHECK_FALSE(p.has_quoted());
}

TEST_CASE("x map: offsets are code points: a non-BMP emoji before the mentions, and a card") {
  const auto m = MapFixture("upstream/x/card_summary_large_image_mentions_nonbmp_emoji.json");
  const auto& p = m.post;
  CHECK(p.text().rfind("\xF0\x9F\x93\xB0 I recently joined @reactjs!", 0) == 0);
  CHECK(EntitySlices(p) ==
        std::vector<std::string>{"@reactjs", "@sophiebits", "https://t.co/fI2B6TT8rL"});
  CHECK(p.entities(0).kind() == Entity::KIND_MENTION);
  CHECK(p.entities(0).target() == "https://x.com/reactjs");
  CHECK(p.card().url() == "https://t.co/fI2B6TT8rL");
  CHECK(p.card().expanded_url() == "https://beta.reactjs.org/learn/tutorial-tic-tac-toe");
  CHECK_FALSE(p.card().title().empty());
  CHECK(p.card().image_url() ==
        "https://pbs.twimg.com/card_img/1639232954701594625/7ayIAMcm?format=png&name=800x419");
  CHECK(p.card().image_width() == 800);
  CHECK(p.media_size() == 0);
}

TEST_CASE("x map: a quote post embeds the quoted post with its photo") {
  const auto m = MapFixture("upstream/x/quote_tweet.json");
  const auto& p = m.post;
  CHECK(EntitySlices(p) == std::vector<std::string>{"#ReactNative"});
  REQUIRE(p.has_quoted());
  CHECK(p.quoted_key() == "x/1641086480675225601");
  CHECK(p.quoted().author().handle() == "SamuelSusla");
  REQUIRE(p.quoted().media_size() == 1);
  CHECK(p.quoted().media(0).kind() == Media::KIND_PHOTO);
  CHECK(p.quoted().text().rfind("If you are interested", 0) == 0);
}

TEST_CASE("x map: entity lists given as {} and an affiliation label") {
  const auto m = MapFixture("upstream/x/text_only_business_label_empty_entities.json");
  const auto& p = m.post;
  CHECK(p.entities_size() == 0);
  CHECK(p.text().rfind("Underdocumented: `bun build --compile`", 0) == 0);
  CHECK(p.author().verified() == proto::VERIFIED_BLUE);
  CHECK(p.author().label() == "Bun");
  CHECK(p.media_size() == 0);
}

TEST_CASE("x map: a video keeps the highest-bitrate mp4, its poster, and lower ones as fallbacks") {
  const auto m = MapFixture("upstream/x/video_mp4_variants_and_hls.json");
  const auto& p = m.post;
  REQUIRE(p.media_size() == 1);
  const auto& v = p.media(0);
  CHECK(v.kind() == Media::KIND_VIDEO);
  CHECK(v.original_url() ==
        "https://video.twimg.com/amplify_video/1684020091854225408/vid/886x546/"
        "_Mb5SBNFpaVehGMW.mp4?tag=14");
  CHECK(v.poster_url() ==
        "https://pbs.twimg.com/amplify_video_thumb/1684020091854225408/img/xtWb477NwDzZ1VvG.jpg");
  CHECK(v.duration_ms() == 14510);
  CHECK(m.fallbacks.at(v.original_url()).find("584x360") != std::string::npos);
  // The media link at the end is left out of the text (and the whitespace before it); the
  // link to the paper stays, as an entity.
  CHECK(p.text().find("https://t.co/1N4ogvaMPA") == std::string::npos);
  CHECK(p.text().substr(p.text().size() - 1) == "]");
  CHECK(EntitySlices(p) == std::vector<std::string>{"https://t.co/1kNB4GT8ut"});
}

TEST_CASE("x map: a TweetTombstone and {} are gone") {
  const auto t = MapFixture("upstream/x/tombstone_deleted.json");
  CHECK(t.gone);
  CHECK(t.tombstone.kind() == proto::Tombstone::KIND_DELETED);
  // X's words, without the "Learn more" of the help link they end with.
  CHECK(t.tombstone.upstream_text() == "This Post was deleted by the Post author.");
  const auto empty = Map("{}");
  CHECK(empty.gone);
  CHECK(empty.tombstone.kind() == proto::Tombstone::KIND_NOT_FOUND);
}

TEST_CASE("x map: the seed article's posts: hashtags before a flag, and a reply with a prefix") {
  const auto first = MapFixture("seed-article/x/883275154715705344.json");
  CHECK(EntitySlices(first.post) == std::vector<std::string>{"#G20Summit", "#USA"});
  CHECK(first.post.text().size() > 4);
  CHECK(first.post.text().substr(first.post.text().size() - 8) ==
        "\xF0\x9F\x87\xBA\xF0\x9F\x87\xB8");  // the flag: two regional indicators
  CHECK(first.post.author().verified() == proto::VERIFIED_LEGACY);

  const auto reply = MapFixture("seed-article/x/883326060983353344.json");
  const auto& p = reply.post;
  CHECK(p.text().rfind("Get a grip man", 0) == 0);  // "@realDonaldTrump " is before the range
  CHECK(p.entities_size() == 0);
  CHECK(p.reply_to_key() == "x/883302522549305344");
  CHECK(p.reply_to_handle() == "realDonaldTrump");
  REQUIRE(p.has_reply_to());
  CHECK(p.reply_to().text().rfind("Everyone here is talking", 0) == 0);
}

// Cases the real samples lack, built from the documented shape (PLATFORMS.md §1.2).
std::string Tweet(const std::string& extra, const std::string& text = "hello",
                  const std::string& range = "[0,5]") {
  return R"({"__typename":"Tweet","id_str":"100","lang":"en","created_at":"2024-01-02T03:04:05.000Z",)"
         R"("text":")" +
         text + R"(","display_text_range":)" + range +
         R"(,"user":{"id_str":"1","name":"A","screen_name":"a"})" + extra + "}";
}

std::string Photo(int n) {
  return R"({"type":"photo","media_url_https":"https://pbs.twimg.com/media/P)" + std::to_string(n) +
         R"(.jpg","original_info":{"width":10,"height":20},"ext_alt_text":"alt )" +
         std::to_string(n) + R"(","indices":[6,29]})";
}

TEST_CASE("x map: four photos, in order, with alt text") {
  const auto m = Map(Tweet(R"(,"mediaDetails":[)" + Photo(1) + "," + Photo(2) + "," + Photo(3) +
                           "," + Photo(4) + "]"));
  REQUIRE(m.post.media_size() == 4);
  for (int i = 0; i < 4; ++i) {
    CHECK(m.post.media(i).kind() == Media::KIND_PHOTO);
    CHECK(m.post.media(i).alt_text() == "alt " + std::to_string(i + 1));
    CHECK(m.post.media(i).original_url() ==
          "https://pbs.twimg.com/media/P" + std::to_string(i + 1) + "?format=jpg&name=orig");
  }
}

TEST_CASE("x map: an animated GIF is a looping mp4 with its poster") {
  const auto m = Map(Tweet(
      R"(,"mediaDetails":[{"type":"animated_gif","media_url_https":"https://pbs.twimg.com/tweet_video_thumb/G.jpg",)"
      R"("video_info":{"variants":[{"bitrate":0,"content_type":"video/mp4","url":"https://video.twimg.com/tweet_video/G.mp4"}]}}])"));
  REQUIRE(m.post.media_size() == 1);
  CHECK(m.post.media(0).kind() == Media::KIND_GIF);
  CHECK(m.post.media(0).original_url() == "https://video.twimg.com/tweet_video/G.mp4");
  CHECK(m.post.media(0).poster_url() == "https://pbs.twimg.com/tweet_video_thumb/G.jpg");
}

TEST_CASE("x map: a long post (note_tweet) is flagged truncated") {
  const auto m = Map(Tweet(R"(,"note_tweet":{"id":"Tm90ZVR3ZWV0OjE="})"));
  CHECK(m.post.text_truncated());
}

TEST_CASE("x map: a quote of a post that is gone keeps the quoted key and the reason") {
  const auto m = Map(Tweet(
      R"(,"entities":{"urls":[{"url":"https://t.co/q","expanded_url":"https://twitter.com/b/status/99","display_url":"twitter.com/b/status/99","indices":[6,20]}]},)"
      R"("quoted_tweet":{"__typename":"TweetTombstone","tombstone":{"text":{"text":"This Post is unavailable."}}})",
      "hello https://t.co/q", "[0,5]"));
  CHECK_FALSE(m.post.has_quoted());
  CHECK(m.post.quoted_key() == "x/99");
  CHECK(m.post.quoted_unavailable() == "This Post is unavailable.");
}

TEST_CASE("x map: a flag and an emoji before a hashtag, HTML escapes undone once") {
  // "🇺🇸😄 #tag &amp; more": the flag is 2 code points, the emoji 1; X counts on the escaped text.
  const std::string text =
      "\xF0\x9F\x87\xBA\xF0\x9F\x87\xB8\xF0\x9F\x98\x84 #tag &amp; &lt;b&gt; #end";
  const auto m = Map(Tweet(
      R"(,"entities":{"hashtags":[{"text":"tag","indices":[4,8]},{"text":"end","indices":[25,29]}]})",
      text, "[0,29]"));
  CHECK(m.post.text() == "\xF0\x9F\x87\xBA\xF0\x9F\x87\xB8\xF0\x9F\x98\x84 #tag & <b> #end");
  CHECK(EntitySlices(m.post) == std::vector<std::string>{"#tag", "#end"});
}

TEST_CASE("x map: hostile JSON fails with a reason, never a crash") {
  const std::pair<std::string, std::string> cases[] = {
      {"not json", "malformed"},
      {"[1,2]", "not an object"},
      {Tweet(R"(,"favorite_count":"many")"), "favorite_count"},
      {Tweet(R"(,"entities":{"hashtags":"x"})"), "hashtags"},
      {Tweet(R"(,"entities":{"hashtags":[1,2]})"), "hashtags"},
      {Tweet(R"(,"mediaDetails":{"a":1})"), "mediaDetails"},
      {R"({"__typename":"Tweet","id_str":5})", "id_str"},
      {R"({"__typename":"Tweet","text":"no id"})", "id_str is missing"},
      {R"({"__typename":"Tweet","id_str":"1","user":[]})", "user"},
      {R"({"__typename":"Space"})", "__typename"},
  };
  for (const auto& [body, why] : cases) {
    INFO(body);
    auto r = MapTweetResult(body);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == StatusCode::kInvalidArgument);
    CHECK(r.error().message().find(why) != std::string::npos);
  }
  // Out-of-range indices and a display range past the end are tolerated: the entity is dropped.
  const auto m = Map(Tweet(
      R"(,"entities":{"hashtags":[{"text":"x","indices":[3,999]},{"text":"y","indices":[-1,2]}]})",
      "hello", "[0,999]"));
  CHECK(m.post.text() == "hello");
  CHECK(m.post.entities_size() == 0);
}

}  // namespace
}  // namespace stillpost::fetcher::x

namespace stillpost::fetcher::x {
namespace {

TEST_CASE("x: numbers from upstream are clamped, a screen name that is not one builds no URL") {
  boost::json::value v =
      boost::json::parse(testing::Fixture("upstream/x/photo_single_with_url_entity.json"));
  auto& t = v.as_object();
  t["mediaDetails"].as_array()[0].as_object()["original_info"].as_object()["width"] =
      99999999999ULL;
  t["favorite_count"] = 18446744073709551615ULL;
  t["user"].as_object()["screen_name"] = "a/../../evil?x=\"";
  auto m = MapTweetResult(boost::json::serialize(v));
  REQUIRE(m);
  CHECK(m->post.media(0).width() == 0);  // unknown, not 1215752191
  CHECK(m->post.url() == "https://x.com/i/status/" + m->post.id());
  CHECK(CanonicalUrl("20", "jack") == "https://x.com/jack/status/20");
  CHECK(CanonicalUrl("20", "javascript:x") == "https://x.com/i/status/20");
  CHECK(CanonicalUrl("20", "sixteen_chars_xx") == "https://x.com/i/status/20");
}

}  // namespace
}  // namespace stillpost::fetcher::x
