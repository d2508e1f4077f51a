#include "embed/render.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "common/sha256.h"
#include "tests/support/posts.h"

namespace stillpost::embed {
namespace {

using testing::FixtureCapture;
using testing::LiveState;

std::string Render(const proto::Capture& c, const proto::PostState& s, EmbedOptions o = {}) {
  return RenderEmbed(EmbedInput{s, c}, o);
}

// Compares with tests/fixtures/golden/NAME; STILLPOST_UPDATE_GOLDENS=1 rewrites it instead.
void CheckGolden(const std::string& name, const std::string& html) {
  const std::string path = std::string(STILLPOST_FIXTURES) + "/golden/" + name;
  if (std::getenv("STILLPOST_UPDATE_GOLDENS") != nullptr) {
    std::ofstream(path, std::ios::binary) << html;
    WARN("rewrote golden " << name);
    return;
  }
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::string golden((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  INFO("golden " << name
                 << " differs; if the change is meant, run with STILLPOST_UPDATE_GOLDENS=1");
  CHECK(html == golden);
}

TEST_CASE("embed: golden HTML per fixture and theme, byte for byte") {
  const std::pair<const char*, const char*> fixtures[] = {
      {"photo", "upstream/x/photo_single_with_url_entity.json"},
      {"card", "upstream/x/card_summary_large_image_mentions_nonbmp_emoji.json"},
      {"quote", "upstream/x/quote_tweet.json"},
      {"video", "upstream/x/video_mp4_variants_and_hls.json"},
      {"label", "upstream/x/text_only_business_label_empty_entities.json"},
      {"reply", "seed-article/x/883326060983353344.json"},
      {"mastodon-card", "upstream/mastodon/status_docs_example_link_card.json"},
      {"mastodon-cw-poll", "built/mastodon_cw_poll_emoji.json"},
      {"mastodon-reply-gifv", "built/mastodon_reply_gifv.json"},
      {"bsky-video-tags", "upstream/bluesky/postview_video.json"},
      {"bsky-quote-media", "upstream/bluesky/postview_record_with_media.json"},
      {"bsky-card", "upstream/bluesky/postview_external_link_card.json"},
  };
  for (const auto& [name, fixture] : fixtures) {
    const auto c = FixtureCapture(fixture);
    const auto s = LiveState(c);
    for (auto [theme, label] :
         {std::pair{Theme::kLight, "light"}, std::pair{Theme::kDark, "dark"}}) {
      EmbedOptions o;
      o.theme = theme;
      const std::string html = Render(c, s, o);
      CHECK(html == Render(c, s, o));  // deterministic
      CheckGolden(std::string(name) + "-" + label + ".html", html);
    }
  }
}

TEST_CASE("embed: a post looks like a post: author, links, media, time, footer") {
  const auto c = FixtureCapture("upstream/x/photo_single_with_url_entity.json");
  const std::string html = Render(c, LiveState(c));
  CHECK(html.find("<bdi>sammy</bdi>") != std::string::npos);
  CHECK(html.find("@<bdi>SamuelSusla</bdi>") != std::string::npos);
  CHECK(html.find(
            "<a href=\"https://github.com/reactwg/react-native-new-architecture/discussions/110\" "
            "rel=\"nofollow noopener noreferrer\" "
            "target=\"_blank\">github.com/reactwg/react-\u2026</a>") != std::string::npos);
  CHECK(html.find("<img src=\"/media/") != std::string::npos);
  CHECK(html.find("width=\"1995\" height=\"896\"") != std::string::npos);
  CHECK(
      html.find("<time datetime=\"2023-03-29T14:34:41Z\">14:34 \xC2\xB7 29 Mar 2023 UTC</time>") !=
      std::string::npos);
  CHECK(html.find("Archived <time datetime=\"2025-11-28T08:00:00Z\">2025-11-28</time>") !=
        std::string::npos);
  CHECK(html.find(">View on X</a>") != std::string::npos);
  CHECK(html.find("226 likes") != std::string::npos);
  CHECK(html.find("dir=\"auto\" lang=\"en\"") != std::string::npos);
  CHECK(html.find("application/json+oembed") != std::string::npos);
  // No resource from anywhere else: every src is ours.
  size_t pos = 0;
  while ((pos = html.find("src=\"", pos)) != std::string::npos) {
    pos += 5;
    CHECK(html.compare(pos, 7, "/media/") == 0);
  }
}

TEST_CASE("embed: a deleted post shows its last good capture under a band") {
  const auto c = FixtureCapture("seed-article/x/883326060983353344.json");
  auto s = LiveState(c);
  s.set_current(proto::PostState::CURRENT_GONE);
  s.set_gone_kind(proto::Tombstone::KIND_DELETED);
  *s.mutable_gone_since() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(testing::kCapturedAt + 86400000000);
  const std::string html = Render(c, s);
  // Dates never split across lines: each is one unbreakable span.
  CHECK(html.find("Deleted from X \u2014 last seen <span class=\"nw\">2025-11-28</span>, archived "
                  "<span class=\"nw\">2025-11-28</span>") != std::string::npos);
  CHECK(html.find("Get a grip man") != std::string::npos);
  // The parent, compactly: who and what they said, linking to it.
  const size_t parent = html.find("<a class=\"sp-parent\" href=\"https://");
  REQUIRE(parent != std::string::npos);
  CHECK(html.find("Replying to Donald J. Trump @realDonaldTrump", parent) != std::string::npos);
  CHECK(html.find("<span class=\"sp-parent-text\" dir=\"auto\">", parent) != std::string::npos);
  EmbedOptions hide;
  hide.hide_thread = true;
  CHECK(Render(c, s, hide).find("Replying to") == std::string::npos);
}

TEST_CASE("embed: hostile strings in every field are escaped, only http(s) becomes a link") {
  proto::Capture c = FixtureCapture("upstream/x/photo_single_with_url_entity.json");
  auto* p = c.mutable_post();
  p->mutable_author()->set_display_name(
      "<script>alert(1)</script>\xE2\x80\xAE"
      "evil");
  p->mutable_author()->set_handle("\"><img src=x onerror=alert(2)>");
  p->set_text("hi \"><img src=x onerror=alert(3)> click me \xC3\x28 bad utf8");
  p->clear_entities();
  auto* e = p->add_entities();
  e->set_kind(proto::Entity::KIND_LINK);
  e->set_start(43);
  e->set_end(51);
  e->set_target("javascript:alert(4)");
  p->set_lang("en\" onload=\"x");
  p->mutable_card()->set_title("<b>card</b>");
  p->mutable_card()->set_expanded_url("javascript:alert(5)");
  p->mutable_media(0)->set_alt_text("\" onerror=\"alert(6)");
  p->set_url("javascript:alert(7)");
  const std::string html = Render(c, LiveState(c));
  CHECK(html.find("<script>alert") == std::string::npos);
  CHECK(html.find("<img src=x") == std::string::npos);
  CHECK(html.find("javascript:") == std::string::npos);
  CHECK(html.find("onerror=\"alert") == std::string::npos);
  CHECK(html.find("lang=\"en\" onload") == std::string::npos);
  CHECK(html.find("<b>card</b>") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;\xE2\x80\xAE"
                  "evil</bdi>") != std::string::npos);
  CHECK(html.find("\xEF\xBF\xBD") != std::string::npos);  // the invalid byte became U+FFFD
  // Exactly one script and one style element, both ours: the CSP allows each by the hash of
  // the bytes the page actually carries, and nothing inline besides.
  CHECK(html.find("<script>") == html.rfind("<script>"));
  CHECK(html.find("<style>") == html.rfind("<style>"));
  auto body_of = [&html](const std::string& tag) {
    const size_t open = html.find("<" + tag + ">");
    const size_t close = html.find("</" + tag + ">", open);
    REQUIRE(open != std::string::npos);
    REQUIRE(close != std::string::npos);
    const size_t from = open + tag.size() + 2;
    return html.substr(from, close - from);
  };
  const std::string csp = EmbedContentSecurityPolicy();
  CHECK(csp.find("script-src 'sha256-" + Sha256Base64(body_of("script")) + "'") !=
        std::string::npos);
  CHECK(csp.find("style-src 'sha256-" + Sha256Base64(body_of("style")) + "'") != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  CHECK(html.find(" style=\"") ==
        std::string::npos);  // no style attribute the hash would not allow
}

TEST_CASE("embed: hide_media drops photos, video and the card, video and GIF markup") {
  const auto c = FixtureCapture("upstream/x/video_mp4_variants_and_hls.json");
  const std::string html = Render(c, LiveState(c));
  CHECK(html.find("<video controls preload=\"none\" playsinline poster=\"/media/") !=
        std::string::npos);
  CHECK(html.find("type=\"video/mp4\"") != std::string::npos);
  EmbedOptions o;
  o.hide_media = true;
  const std::string hidden = Render(c, LiveState(c), o);
  CHECK(hidden.find("<video") == std::string::npos);
  CHECK(hidden.find("class=\"sp-media") == std::string::npos);
  proto::Capture gif = c;
  gif.mutable_post()->mutable_media(0)->set_kind(proto::Media::KIND_GIF);
  CHECK(Render(gif, LiveState(gif)).find("<video autoplay muted loop playsinline") !=
        std::string::npos);
  CHECK(Render(gif, LiveState(gif), o).find("<video") == std::string::npos);

  // A photo and a link card: both shown, both hidden; the text and the author stay.
  const auto photo = FixtureCapture("upstream/x/photo_single_with_url_entity.json");
  const std::string photo_blob = photo.post().media(0).blob();
  REQUIRE_FALSE(photo_blob.empty());
  CHECK(Render(photo, LiveState(photo)).find("/media/" + photo_blob) != std::string::npos);
  const std::string no_photo = Render(photo, LiveState(photo), o);
  CHECK(no_photo.find("/media/" + photo_blob) == std::string::npos);
  CHECK(no_photo.find("class=\"sp-media") == std::string::npos);
  CHECK(no_photo.find("If you are interested about View Flattening") != std::string::npos);
  CHECK(no_photo.find("/media/" + photo.post().author().avatar_blob()) != std::string::npos);
  const auto card =
      FixtureCapture("upstream/x/card_summary_large_image_mentions_nonbmp_emoji.json");
  REQUIRE(card.post().has_card());
  CHECK(Render(card, LiveState(card)).find("class=\"sp-card") != std::string::npos);
  CHECK(Render(card, LiveState(card), o).find("class=\"sp-card") == std::string::npos);
}

TEST_CASE("embed: oEmbed answers are oEmbed 1.0 rich with our iframe, width clamped") {
  const auto c = FixtureCapture("upstream/x/photo_single_with_url_entity.json");
  const auto s = LiveState(c);
  const std::string json = RenderOEmbed(EmbedInput{s, c}, {"https://archive.example", 0});
  CHECK(json.find("\"type\":\"rich\"") != std::string::npos);
  CHECK(json.find("\"version\":\"1.0\"") != std::string::npos);
  CHECK(json.find("\"width\":550") != std::string::npos);
  CHECK(json.find("<iframe class=\\\"stillpost-embed\\\" "
                  "src=\\\"https://archive.example/embed/x/1641086480675225601\\\"") !=
        std::string::npos);
  // With embed.js, as X's oEmbed comes with widgets.js; omit_script leaves it out.
  CHECK(json.find("<script async src=\\\"https://archive.example/embed.js\\\"") !=
        std::string::npos);
  OEmbedOptions bare{"https://archive.example", 0};
  bare.omit_script = true;
  CHECK(RenderOEmbed(EmbedInput{s, c}, bare).find("<script") == std::string::npos);
  // The height is the embed's own at that width, and maxheight caps it.
  const int full = EmbedHeight(EmbedInput{s, c}, {}, 550);
  CHECK(json.find("\"height\":" + std::to_string(full)) != std::string::npos);
  OEmbedOptions capped{"https://archive.example", 550, 200};
  CHECK(RenderOEmbed(EmbedInput{s, c}, capped).find("\"height\":200") != std::string::npos);
  OEmbedOptions dark{"https://archive.example", 400};
  dark.theme = Theme::kDark;
  dark.hide_thread = true;
  dark.align = "center";
  const std::string themed = RenderOEmbed(EmbedInput{s, c}, dark);
  CHECK(themed.find("/embed/x/1641086480675225601?theme=dark&amp;hide_thread=1") !=
        std::string::npos);
  CHECK(themed.find("margin:10px auto") != std::string::npos);
  CHECK(themed.find("\"width\":400") != std::string::npos);
  CHECK(json.find("\"author_name\":\"sammy\"") != std::string::npos);
  CHECK(json.find("\"thumbnail_url\":\"https://archive.example/media/") != std::string::npos);
  CHECK(RenderOEmbed(EmbedInput{s, c}, {"https://a.example", 100}).find("\"width\":250") !=
        std::string::npos);
  CHECK(RenderOEmbed(EmbedInput{s, c}, {"https://a.example", 9999}).find("\"width\":550") !=
        std::string::npos);
}

}  // namespace
}  // namespace stillpost::embed

namespace stillpost::embed {
namespace {

using testing::FixtureCapture;
using testing::LiveState;

std::string RenderOf(const proto::Capture& c, EmbedOptions o = {}) {
  return RenderEmbed(EmbedInput{LiveState(c), c}, o);
}

TEST_CASE(
    "embed: Mastodon marks - @user@host, content warning, poll, custom emoji, View on Mastodon") {
  const auto c = FixtureCapture("built/mastodon_cw_poll_emoji.json");
  const std::string html = RenderOf(c);
  CHECK(html.find("@<bdi>reporter@social.example.org</bdi>") != std::string::npos);
  // The warning is the summary; text, poll and media are inside the collapsed <details>.
  // Its custom emoji is an image there too, not ":ballot:".
  const size_t cw = html.find(
      "<details class=\"sp-cw\"><summary dir=\"auto\">Election night spoilers <img "
      "class=\"sp-emoji\"");
  REQUIRE(cw != std::string::npos);
  CHECK(html.find("<details class=\"sp-cw\" open") == std::string::npos);
  const size_t text = html.find("<div class=\"sp-text\"", cw);
  const size_t close = html.find("</details>", cw);
  CHECK((cw < text && text < close));
  CHECK(html.find("Called it</span><span>72%</span><progress max=\"100\" value=\"72\"") !=
        std::string::npos);
  CHECK(html.find("250 votes \xC2\xB7 Final results") != std::string::npos);
  CHECK(html.find("<img class=\"sp-emoji\" src=\"/media/") != std::string::npos);
  CHECK(html.find("alt=\":ballot:\"") != std::string::npos);
  CHECK(html.find("href=\"https://other.example/@editor\"") != std::string::npos);
  CHECK(html.find(">news.example/live/election-202\u2026</a>") != std::string::npos);
  CHECK(html.find("View on Mastodon</a>") != std::string::npos);
  CHECK(html.find("href=\"https://social.example.org/@reporter/113500000000000001\"") !=
        std::string::npos);
  CHECK(html.find("Edited") != std::string::npos);
  // Never a link to the emoji's upstream image, never an upstream URL as a source.
  CHECK(html.find("src=\"https://") == std::string::npos);
  CHECK(html.find("href=\"https://files.mastodon.social") == std::string::npos);
}

TEST_CASE("embed: a Mastodon reply with a GIF and a deleted quote, and sensitive media collapsed") {
  auto c = FixtureCapture("built/mastodon_reply_gifv.json");
  std::string html = RenderOf(c);
  CHECK(html.find("<a class=\"sp-parent\" href=\"https://mastodon.social/@bert\"") !=
        std::string::npos);
  CHECK(html.find("Replying to @bert") != std::string::npos);
  CHECK(html.find("aria-label=\"GIF by @") != std::string::npos);  // a video has a name
  CHECK(html.find("<video autoplay muted loop playsinline") != std::string::npos);
  CHECK(html.find("Quoted post unavailable: deleted") != std::string::npos);
  CHECK(html.find("lang=\"de\"") != std::string::npos);
  c.mutable_post()->set_sensitive(true);
  html = RenderOf(c);
  // Blurred until the reader asks (a checkbox and CSS, no script), and as tall either way.
  const size_t sens = html.find("<div class=\"sp-sens\"><input type=\"checkbox\"");
  CHECK(sens != std::string::npos);
  CHECK(html.find("<div class=\"sp-media", sens) != std::string::npos);
  CHECK(html.find("filter:blur(") != std::string::npos);
}

TEST_CASE("embed: hostile Mastodon HTML never reaches the embed") {
  auto mapped = fetcher::mastodon::MapStatus(
      R"j({"id":"1","account":{"acct":"a","url":"https://m.example/@a","display_name":"<img src=x onerror=alert(1)>"},
      "content":"<p>x<script>alert(2)</script><a href=\"javascript:alert(3)\">j</a><iframe src=\"https://e.example\"></iframe><style>*{}</style><img src=y onerror=alert(4)><a href=\"data:text/html,x\">d</a><a href=\"https://ok.example\" onclick=\"alert(5)\">ok</a></p>",
      "spoiler_text":"<b onmouseover=alert(6)>cw</b>"})j",
      "m.example");
  REQUIRE(mapped);
  proto::Capture c;
  *c.mutable_captured_at() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(testing::kCapturedAt);
  *c.mutable_post() = mapped->post;
  const std::string html = RenderOf(c);
  // The display name and the warning are plain text: escaped, so inert.
  CHECK(html.find("&lt;img src=x onerror=alert(1)&gt;") != std::string::npos);
  for (const char* bad :
       {"alert(2)", "alert(3)", "alert(4)", "alert(5)", "javascript:", "data:text", "<iframe",
        "onclick", "<img src=x", "<img src=y", "<b ", "e.example"}) {
    INFO(bad);
    CHECK(html.find(bad) == std::string::npos);
  }
  CHECK(html.find("<script>") == html.rfind("<script>"));  // only our height script
  CHECK(html.find("href=\"https://ok.example\"") != std::string::npos);
}

TEST_CASE("embed: Bluesky marks - handle, hashtags, quote with media, labels, View on Bluesky") {
  const auto c = FixtureCapture("upstream/bluesky/postview_record_with_media.json");
  const std::string html = RenderOf(c);
  CHECK(html.find("@<bdi>iamkonstantin.eu</bdi>") != std::string::npos);
  CHECK(html.find("View on Bluesky</a>") != std::string::npos);
  CHECK(html.find("<div class=\"sp-quote\">") != std::string::npos);
  CHECK(html.find("Bohdan Pavuk") != std::string::npos);
  const auto v = FixtureCapture("upstream/bluesky/postview_video.json");
  const std::string video = RenderOf(v);
  CHECK(video.find("<a href=\"https://bsky.app/hashtag/swiftUI\" rel=\"nofollow noopener "
                   "noreferrer\" target=\"_blank\">#swiftUI</a>") != std::string::npos);
  CHECK(video.find("<video controls") != std::string::npos);
  auto labelled = v;
  labelled.mutable_post()->add_labels("graphic-media");
  CHECK(RenderOf(labelled).find("<div class=\"sp-sens\">") != std::string::npos);
}

}  // namespace
}  // namespace stillpost::embed

namespace stillpost::embed {
namespace {

TEST_CASE("embed: poll percentages stay between 0 and 100 whatever the vote counts") {
  proto::Capture c = FixtureCapture("upstream/x/photo_single_with_url_entity.json");
  auto* poll = c.mutable_post()->mutable_poll();
  auto* a = poll->add_options();
  a->set_title("a");
  a->set_votes(UINT64_MAX);
  auto* b = poll->add_options();
  b->set_title("b");
  b->set_votes(1);
  const std::string html = Render(c, LiveState(c));
  CHECK(html.find("18446744073709551") == std::string::npos);
  CHECK(html.find(">100%<") != std::string::npos);
  CHECK(html.find(">0%<") != std::string::npos);
}

}  // namespace
}  // namespace stillpost::embed

namespace stillpost::embed {
namespace {

using testing::FixtureCapture;
using testing::LiveState;

TEST_CASE("embed: readers see neutral words for what is missing, never the fetch error") {
  auto c = FixtureCapture("upstream/x/photo_single_with_url_entity.json");
  c.set_partial(true);
  c.set_partial_reason("1 media not stored: HTTP 500 from pbs.twimg.com after 4 attempts");
  c.mutable_post()->mutable_media(0)->clear_blob();
  c.mutable_post()->mutable_media(0)->set_failure("HTTP 500 from pbs.twimg.com after 4 attempts");
  const std::string html = RenderEmbed(EmbedInput{LiveState(c), c}, {});
  CHECK(html.find("Some media could not be archived.") != std::string::npos);
  CHECK(html.find("This media could not be archived") != std::string::npos);
  CHECK(html.find("HTTP 500") == std::string::npos);
  CHECK(html.find("pbs.twimg.com") == std::string::npos);
}

TEST_CASE("embed: no empty text block, profile and permalink links, dark links underlined") {
  auto c = FixtureCapture("upstream/x/photo_single_with_url_entity.json");
  c.mutable_post()->clear_text();
  c.mutable_post()->clear_entities();
  EmbedOptions dark;
  dark.theme = Theme::kDark;
  const std::string html = RenderEmbed(EmbedInput{LiveState(c), c}, dark);
  CHECK(html.find("class=\"sp-text\"") == std::string::npos);
  // Avatar, name and handle link to the profile; the time is the post's permalink.
  const std::string profile = "href=\"https://x.com/SamuelSusla\"";
  size_t n = 0;
  for (size_t at = html.find(profile); at != std::string::npos; at = html.find(profile, at + 1))
    ++n;
  CHECK(n == 3);
  CHECK(html.find(
            "<a class=\"sp-time\" href=\"https://x.com/SamuelSusla/status/1641086480675225601\"") !=
        std::string::npos);
  // In the dark theme, links in text are underlined (their colour alone is too close to text's).
  CHECK(html.find("[data-theme=dark]{") != std::string::npos);
  CHECK(html.find("--ul:underline}") != std::string::npos);
  CHECK(html.find(".sp-text a,.sp-cw a{text-decoration:var(--ul)}") != std::string::npos);
  // "View on X" and the dates never break inside.
  CHECK(html.find("<span class=\"nw\"><a class=\"sp-view\"") != std::string::npos);
  // The mark is drawn, not a letter.
  CHECK(html.find("<span class=\"sp-logo\" role=\"img\" aria-label=\"X\"><svg") !=
        std::string::npos);
}

TEST_CASE("embed: a quote links to its own archived embed and says when it quotes another") {
  auto c = FixtureCapture("upstream/x/quote_tweet.json");
  REQUIRE(c.post().has_quoted());
  c.mutable_post()->mutable_quoted()->set_quoted_key("x/1");
  EmbedOptions o;
  o.base_path = "/archive";
  const std::string html = RenderEmbed(EmbedInput{LiveState(c), c}, o);
  CHECK(html.find("href=\"/archive/embed/" + c.post().quoted_key() + "\"") != std::string::npos);
  CHECK(html.find("Quotes another post") != std::string::npos);
}

}  // namespace
}  // namespace stillpost::embed
