#include "fetcher/mastodon/mastodon.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "fetcher/html_text.h"
#include "tests/support/fixtures.h"

namespace stillpost::fetcher::mastodon {
namespace {

using proto::Entity;
using proto::Media;
using testing::Fixture;
using testing::Slice;

MappedPost Map(const std::string& body, const std::string& host = "mastodon.social") {
  auto m = MapStatus(body, host);
  REQUIRE(m);
  return std::move(*m);
}

// A minimal valid Status with `extra` fields merged in (later keys win).
std::string Status(const std::string& extra) {
  boost::json::object o = boost::json::parse(R"j({
    "id": "110000000000000001", "created_at": "2024-05-01T10:00:00.000Z",
    "url": "https://mastodon.social/@alice/110000000000000001",
    "account": {"id": "7", "username": "alice", "acct": "alice", "display_name": "Alice",
                "url": "https://mastodon.social/@alice",
                "avatar": "https://files.mastodon.social/accounts/avatars/a.png", "emojis": []},
    "content": "<p>hello</p>", "spoiler_text": "", "sensitive": false, "language": "en",
    "media_attachments": [], "mentions": [], "tags": [], "emojis": []})j")
                              .as_object();
  const boost::json::value more = boost::json::parse(extra);
  for (const auto& [k, v] : more.as_object()) o[k] = v;
  return boost::json::serialize(o);
}

TEST_CASE("mastodon: the docs' Status with a link card") {
  const auto m = Map(Fixture("upstream/mastodon/status_docs_example_link_card.json"));
  const auto& p = m.post;
  CHECK(p.key() == "mastodon/mastodon.social/103270115826048975");
  CHECK(p.platform() == proto::PLATFORM_MASTODON);
  CHECK(p.url() == "https://mastodon.social/@Gargron/103270115826048975");
  CHECK(p.author().handle() == "Gargron@mastodon.social");
  CHECK(p.author().display_name() == "Eugen");
  CHECK(p.author().avatar_url() ==
        "https://files.mastodon.social/accounts/avatars/000/000/001/original/d96d39a0abb45b92.jpg");
  const std::string link =
      "https://www.theguardian.com/money/2019/dec/07/"
      "i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code";
  CHECK(p.text() == "\"I lost my inheritance with one wrong digit on my sort code\"\n\n" + link);
  REQUIRE(p.entities_size() == 1);
  CHECK(p.entities(0).kind() == Entity::KIND_LINK);
  CHECK(Slice(p.text(), p.entities(0).start(), p.entities(0).end()) == link);
  CHECK(p.entities(0).target() == link);
  CHECK(p.entities(0).display() == "theguardian.com/money/2019/dec\u2026");
  CHECK(p.card().title() ==
        "\u2018I lost my \u00a3193,000 inheritance \u2013 with one wrong digit on my sort "
        "code\u2019");
  CHECK(p.card().domain() == "theguardian.com");
  CHECK(p.card().image_url().empty());
  CHECK(p.counts().replies() == 5);
  CHECK(p.counts().reposts() == 6);
  CHECK(p.counts().likes() == 11);
  CHECK(p.counts().quotes() == 2);
  CHECK(p.lang() == "en");
  CHECK(p.created_at().seconds() == 1575776913);
  CHECK_FALSE(p.has_quoted());
  CHECK(p.quoted_key().empty());
  CHECK(p.content_html().find("<script") == std::string::npos);
}

TEST_CASE("mastodon: real mastodon.social statuses - CJK text, a photo, a video card") {
  const auto list =
      boost::json::parse(
          Fixture("upstream/mastodon/account_statuses_mastodon_social_image_card_cjk.json"))
          .as_array();
  REQUIRE(list.size() == 3);
  const auto text = Map(boost::json::serialize(list[0])).post;
  CHECK(text.text() == "Orz又又又又要住院了……");
  CHECK(text.lang() == "zh-CN");
  CHECK(text.author().handle() == "thislight@mastodon.social");
  CHECK(text.media_size() == 0);

  const auto photo = Map(boost::json::serialize(list[1])).post;
  CHECK(photo.text() == "简单触发一个编译器bug……");
  REQUIRE(photo.media_size() == 1);
  CHECK(photo.media(0).kind() == Media::KIND_PHOTO);
  CHECK(photo.media(0).original_url() ==
        "https://files.mastodon.social/media_attachments/files/107/751/441/304/672/354/original/"
        "94096d3d3db6de24.png");
  CHECK(photo.media(0).width() == 822);
  CHECK(photo.media(0).height() == 164);
  CHECK(photo.media(0).alt_text().empty());

  const auto card = Map(boost::json::serialize(list[2])).post;
  CHECK(card.text() == "Crytek宣布了Crysis 4\n\nhttps://youtu.be/PQ_dmFUR2N8");
  REQUIRE(card.entities_size() == 1);
  CHECK(Slice(card.text(), card.entities(0).start(), card.entities(0).end()) ==
        "https://youtu.be/PQ_dmFUR2N8");
  CHECK(card.entities(0).display() == "youtu.be/PQ_dmFUR2N8");
  CHECK(card.card().url() == "https://www.youtube.com/watch?v=PQ_dmFUR2N8&feature=youtu.be");
  CHECK(card.card().title() == "Crysis 4 (Working Title) Announcement");
  CHECK(card.card().domain() == "youtube.com");
  CHECK(card.card().image_url() ==
        "https://files.mastodon.social/cache/preview_cards/images/039/018/404/original/"
        "3d2f6f20cb265b8a.jpg");
  CHECK(card.card().image_width() == 200);
}

TEST_CASE("mastodon: each attachment type of the docs, with alt text, sizes and posters") {
  const auto examples =
      boost::json::parse(Fixture("upstream/mastodon/media_attachments_docs_examples.json"))
          .as_object();
  boost::json::array media{examples.at("image"), examples.at("video"), examples.at("gifv"),
                           examples.at("audio")};
  boost::json::object extra;
  extra["media_attachments"] = media;
  const auto p = Map(Status(boost::json::serialize(extra))).post;
  REQUIRE(p.media_size() == 4);
  CHECK(p.media(0).kind() == Media::KIND_PHOTO);
  CHECK(p.media(0).alt_text() == "test media description");
  CHECK(p.media(0).width() == 640);
  CHECK(p.media(0).height() == 480);
  CHECK(p.media(0).poster_url().empty());
  CHECK(p.media(1).kind() == Media::KIND_VIDEO);
  CHECK(p.media(1).width() == 1280);
  CHECK(p.media(1).duration_ms() == 88654);
  CHECK(p.media(1).poster_url() ==
        "https://files.mastodon.social/media_attachments/files/022/546/306/small/"
        "dab9a597f68b9745.png");
  CHECK(p.media(2).kind() == Media::KIND_GIF);
  CHECK(p.media(2).original_url() ==
        "https://files.mastodon.social/media_attachments/files/021/130/559/original/"
        "bc84838f77991326.mp4");
  CHECK(p.media(3).kind() == Media::KIND_AUDIO);
  CHECK(p.media(3).duration_ms() == 402860);
  CHECK(p.media(3).poster_url().empty());  // an audio's preview_url is the audio itself
}

TEST_CASE("mastodon: a content warning, sensitive media, mentions, hashtags and custom emoji") {
  const auto p = Map(Status(R"j({
    "spoiler_text": "Spoilers :blobcat:", "sensitive": true,
    "content": "<p>Hi <span class=\"h-card\"><a href=\"https://remote.example/@bob\" class=\"u-url mention\">@<span>bob</span></a></span> :blobcat: <a href=\"https://mastodon.social/tags/caf%C3%A9\" class=\"mention hashtag\" rel=\"tag\">#<span>café</span></a></p>",
    "mentions": [{"id": "9", "username": "bob", "acct": "bob@remote.example", "url": "https://remote.example/@bob"}],
    "emojis": [{"shortcode": "blobcat", "url": "https://files.mastodon.social/emoji/blobcat.png", "static_url": "https://files.mastodon.social/emoji/blobcat_static.png"}],
    "account": {"id": "7", "acct": "alice", "display_name": "Alice :blobcat:", "url": "https://mastodon.social/@alice",
                "emojis": [{"shortcode": "blobcat", "url": "https://e/x.gif", "static_url": "https://files.mastodon.social/emoji/blobcat_static.png"}]}
  })j"))
                     .post;
  CHECK(p.content_warning() == "Spoilers :blobcat:");
  CHECK(p.sensitive());
  CHECK(p.text() == "Hi @bob :blobcat: #café");
  REQUIRE(p.entities_size() == 3);
  CHECK(p.entities(0).kind() == Entity::KIND_MENTION);
  CHECK(Slice(p.text(), p.entities(0).start(), p.entities(0).end()) == "@bob");
  CHECK(p.entities(0).target() == "https://remote.example/@bob");
  CHECK(p.entities(0).target_id() == "bob@remote.example");
  CHECK(p.entities(1).kind() == Entity::KIND_CUSTOM_EMOJI);
  CHECK(Slice(p.text(), p.entities(1).start(), p.entities(1).end()) == ":blobcat:");
  CHECK(p.entities(1).target() == "https://files.mastodon.social/emoji/blobcat_static.png");
  CHECK(p.entities(2).kind() == Entity::KIND_HASHTAG);
  CHECK(Slice(p.text(), p.entities(2).start(), p.entities(2).end()) == "#café");
  CHECK(p.entities(2).target_id() == "café");
  REQUIRE(p.author().name_entities_size() == 1);
  CHECK(Slice(p.author().display_name(), p.author().name_entities(0).start(),
              p.author().name_entities(0).end()) == ":blobcat:");
}

TEST_CASE("mastodon: a boost archives the boosted status under its own key") {
  const std::string inner = Status(R"j({"id": "110000000000000009", "content": "<p>inner</p>",
      "url": "https://remote.example/@carol/555",
      "account": {"id": "44", "acct": "carol@remote.example", "display_name": "Carol", "url": "https://remote.example/@carol"}})j");
  const auto m = Map(Status(R"j({"content": "", "reblog": )j" + inner + "}"));
  CHECK(m.post.key() == "mastodon/mastodon.social/110000000000000009");
  CHECK(m.post.text() == "inner");
  CHECK(m.post.author().handle() == "carol@remote.example");
  CHECK(m.note == "a boost by @alice; archived the boosted post");
}

TEST_CASE("mastodon: a poll, a reply and quotes - shown, deleted and shallow") {
  const auto p = Map(Status(R"j({
    "in_reply_to_id": "109", "in_reply_to_account_id": "7",
    "poll": {"id": "1", "expires_at": "2024-05-02T10:00:00.000Z", "expired": true, "multiple": false,
             "votes_count": 10, "voters_count": 10,
             "options": [{"title": "yes", "votes_count": 7}, {"title": "no", "votes_count": 3}]},
    "quote": {"state": "accepted", "quoted_status": {"id": "108", "content": "<p>quoted</p>",
              "account": {"id": "8", "acct": "dan", "url": "https://mastodon.social/@dan"}}}
  })j"))
                     .post;
  REQUIRE(p.poll().options_size() == 2);
  CHECK(p.poll().options(0).title() == "yes");
  CHECK(p.poll().options(0).votes() == 7);
  CHECK(p.poll().expired());
  CHECK(p.poll().voters() == 10);
  CHECK(p.reply_to_key() == "mastodon/mastodon.social/109");
  CHECK(p.reply_to_handle() == "alice@mastodon.social");
  CHECK(p.quoted_key() == "mastodon/mastodon.social/108");
  CHECK(p.quoted().text() == "quoted");
  CHECK(p.quoted().author().handle() == "dan@mastodon.social");

  const auto gone = Map(Status(R"j({"quote": {"state": "deleted", "quoted_status": null}})j")).post;
  CHECK_FALSE(gone.has_quoted());
  CHECK(gone.quoted_unavailable() == "deleted");
  const auto shallow =
      Map(Status(R"j({"quote": {"state": "accepted", "quoted_status_id": "107"}})j")).post;
  CHECK(shallow.quoted_key() == "mastodon/mastodon.social/107");
  CHECK_FALSE(shallow.quoted_unavailable().empty());
}

TEST_CASE("mastodon: hostile HTML leaves nothing active in the stored post") {
  const auto p = Map(Status(R"j({"content":
    "<p>a<script>alert(1)</script>b<style>p{}</style><iframe src=\"https://evil.example\">x</iframe><img src=x onerror=alert(2)><a href=\"javascript:alert(3)\">js</a> <a href=\"data:text/html,<script>alert(4)</script>\">data</a> <a href=\"https://ok.example/\" onclick=\"alert(5)\" style=\"color:red\">ok</a><b onmouseover=\"alert(6)\">bold</b></p>"})j"))
                     .post;
  CHECK(p.text() == "abjs data okbold");
  REQUIRE(p.entities_size() == 1);
  CHECK(p.entities(0).target() == "https://ok.example/");
  for (const char* bad : {"<script", "alert", "onerror", "onclick", "javascript:", "data:",
                          "<style", "<iframe", "<img", "style=", "onmouseover"}) {
    INFO(bad);
    CHECK(p.content_html().find(bad) == std::string::npos);
  }
  CHECK(p.content_html() ==
        "<p>abjs data <a href=\"https://ok.example/\" rel=\"nofollow noopener "
        "noreferrer\">ok</a>bold</p>");
}

TEST_CASE(
    "mastodon: 404 and 410 are tombstones, 401 is a failure, bad JSON fails naming the field") {
  auto t = TombstoneFor(404, R"j({"error":"Record not found"})j");
  REQUIRE(t.has_value());
  CHECK(t->kind() == proto::Tombstone::KIND_NOT_FOUND);
  CHECK(t->upstream_text() == "Record not found (HTTP 404)");
  CHECK(TombstoneFor(410, "")->kind() == proto::Tombstone::KIND_DELETED);
  CHECK_FALSE(TombstoneFor(401, R"j({"error":"This API requires an authenticated user"})j"));
  CHECK_FALSE(TombstoneFor(500, ""));

  auto wrong = MapStatus(Status(R"j({"media_attachments": "nope"})j"), "mastodon.social");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message() == "upstream JSON: status.media_attachments is not a list");
  CHECK_FALSE(MapStatus("{", "mastodon.social"));
  CHECK_FALSE(MapStatus("[]", "mastodon.social"));
  CHECK_FALSE(MapStatus(Status(R"j({"id": "../../etc"})j"), "mastodon.social"));
  CHECK(StatusUrl("mastodon.social", "1") == "https://mastodon.social/api/v1/statuses/1");
}

}  // namespace
}  // namespace stillpost::fetcher::mastodon
