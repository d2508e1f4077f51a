// Media slots of a post, and what the sniffer says fetched bytes are (fetcher/media.h).
#include "fetcher/media.h"

#include <catch2/catch.hpp>

#include "tests/support/fixtures.h"

namespace stillpost::fetcher {
namespace {

using Role = MediaSlot::Role;

TEST_CASE("media: every URL of a post is a slot, in a fixed order, quoted post and parent too") {
  proto::Post post;
  post.mutable_author()->set_avatar_url("https://a/avatar.jpg");
  auto* emoji = post.add_entities();
  emoji->set_kind(proto::Entity::KIND_CUSTOM_EMOJI);
  emoji->set_target("https://a/emoji.png");
  auto* link = post.add_entities();
  link->set_kind(proto::Entity::KIND_LINK);
  link->set_target("https://example.org/");  // a link, not media
  auto* photo = post.add_media();
  photo->set_kind(proto::Media::KIND_PHOTO);
  photo->set_original_url("https://a/photo.jpg");
  auto* video = post.add_media();
  video->set_kind(proto::Media::KIND_VIDEO);
  video->set_original_url("https://a/video.mp4");
  video->set_poster_url("https://a/poster.jpg");
  post.mutable_card()->set_image_url("https://a/card.jpg");
  post.mutable_quoted()->add_media()->set_original_url("https://a/quoted.jpg");
  post.mutable_reply_to()->mutable_author()->set_avatar_url("https://a/parent.jpg");

  const std::vector<MediaSlot> slots = MediaSlots(post);
  std::vector<std::string> urls;
  for (const auto& s : slots) urls.push_back(*s.url);
  CHECK(urls == std::vector<std::string>{"https://a/avatar.jpg", "https://a/emoji.png",
                                         "https://a/photo.jpg", "https://a/video.mp4",
                                         "https://a/poster.jpg", "https://a/card.jpg",
                                         "https://a/quoted.jpg", "https://a/parent.jpg"});
  CHECK(slots[0].role == Role::kAvatar);
  CHECK(slots[1].role == Role::kEmoji);
  CHECK(slots[2].role == Role::kMedia);
  CHECK(slots[3].kind == BodyKind::kVideo);
  CHECK(slots[4].kind == BodyKind::kImage);  // a poster is an image
  CHECK(slots[7].role == Role::kAvatar);
  // Slots point into the post: filling one fills the post's field.
  *slots[2].blob = "abc";
  *slots[3].mime = "video/mp4";
  CHECK(post.media(0).blob() == "abc");
  CHECK(post.media(1).mime() == "video/mp4");
  CHECK(slots[2].failure == &*post.mutable_media(0)->mutable_failure());
}

TEST_CASE("media: the sniffer names real bytes by their content, not their name") {
  MimeSniffer sniffer;
  REQUIRE(sniffer.status().ok());
  const std::string root = "replay/";
  CHECK(sniffer.Sniff(testing::Fixture(
            root + "pbs.twimg.com/profile_images/914888589670043654/KVvwjcWA_normal.jpg")) ==
        "image/jpeg");
  CHECK(
      sniffer.Sniff(testing::Fixture(root + "video.twimg.com/amplify_video/1684020091854225408/vid/"
                                            "438x270/3nzfgILKIV_9rNxp.mp4")) == "video/mp4");
  CHECK(sniffer.Sniff("<!DOCTYPE html><html><body>x</body></html>") == "text/html");
  CHECK(sniffer.Sniff("") == "application/x-empty");
}

TEST_CASE("media: what the sniffer says must fit what was expected") {
  CHECK(MimeFits(BodyKind::kImage, "image/jpeg"));
  CHECK(MimeFits(BodyKind::kImage, "image/webp"));
  CHECK_FALSE(MimeFits(BodyKind::kImage, "text/html"));      // an error page is not a photo
  CHECK_FALSE(MimeFits(BodyKind::kImage, "image/svg+xml"));  // scripts in an image: never
  CHECK(MimeFits(BodyKind::kVideo, "video/mp4"));
  CHECK(MimeFits(BodyKind::kVideo, "image/gif"));  // X's GIFs may be served as GIF
  CHECK_FALSE(MimeFits(BodyKind::kVideo, "application/vnd.apple.mpegurl"));
  CHECK(MimeFits(BodyKind::kJson, "application/json"));
  CHECK(MimeFits(BodyKind::kHtml, "text/html"));
  CHECK_FALSE(MimeFits(BodyKind::kHtml, "application/octet-stream"));
}

}  // namespace
}  // namespace stillpost::fetcher
