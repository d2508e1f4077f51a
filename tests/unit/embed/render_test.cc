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
  CHECK(html.find("Deleted from X \u2014 last seen 2025-11-28, archived 2025-11-28") !=
        std::string::npos);
  CHECK(html.find("Get a grip man") != std::string::npos);
  CHECK(html.find("Replying to <a href=\"https://x.com/realDonaldTrump\"") != std::string::npos);
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
  // Exactly one script element: ours, allowed by its hash.
  CHECK(html.find("<script>") == html.rfind("<script>"));
  CHECK(EmbedContentSecurityPolicy().find("'sha256-" + Sha256Base64(HeightScript()) + "'") !=
        std::string::npos);
}

TEST_CASE("embed: hide_media drops photos, video and the card, video and GIF markup") {
  const auto c = FixtureCapture("upstream/x/video_mp4_variants_and_hls.json");
  const std::string html = Render(c, LiveState(c));
  CHECK(html.find("<video controls preload=\"none\" playsinline poster=\"/media/") !=
        std::string::npos);
  CHECK(html.find("type=\"video/mp4\"") != std::string::npos);
  EmbedOptions o;
  o.hide_media = true;
  CHECK(Render(c, LiveState(c), o).find("<video") == std::string::npos);
  proto::Capture gif = c;
  gif.mutable_post()->mutable_media(0)->set_kind(proto::Media::KIND_GIF);
  CHECK(Render(gif, LiveState(gif)).find("<video autoplay muted loop playsinline") !=
        std::string::npos);
}

TEST_CASE("embed: oEmbed answers are oEmbed 1.0 rich with our iframe, width clamped") {
  const auto c = FixtureCapture("upstream/x/photo_single_with_url_entity.json");
  const auto s = LiveState(c);
  const std::string json = RenderOEmbed(EmbedInput{s, c}, "https://archive.example", 0);
  CHECK(json.find("\"type\":\"rich\"") != std::string::npos);
  CHECK(json.find("\"version\":\"1.0\"") != std::string::npos);
  CHECK(json.find("\"width\":550") != std::string::npos);
  CHECK(json.find("<iframe src=\\\"https://archive.example/embed/x/1641086480675225601\\\"") !=
        std::string::npos);
  CHECK(json.find("\"author_name\":\"sammy\"") != std::string::npos);
  CHECK(json.find("\"thumbnail_url\":\"https://archive.example/media/") != std::string::npos);
  CHECK(RenderOEmbed(EmbedInput{s, c}, "https://a.example", 100).find("\"width\":250") !=
        std::string::npos);
  CHECK(RenderOEmbed(EmbedInput{s, c}, "https://a.example", 9999).find("\"width\":550") !=
        std::string::npos);
}

}  // namespace
}  // namespace stillpost::embed
