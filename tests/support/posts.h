// Captures built from the fixtures through the real mappers (X, Mastodon, Bluesky: by the
// fixture's folder), with deterministic blob digests standing in for downloaded media (for
// renderer and server tests).
#pragma once

#include <google/protobuf/util/time_util.h>

#include "common/sha256.h"
#include "fetcher/bluesky/bluesky.h"
#include "fetcher/mastodon/mastodon.h"
#include "fetcher/media.h"
#include "fetcher/x/x.h"
#include "tests/support/fixtures.h"

namespace stillpost::testing {

constexpr int64_t kCapturedAt = 1764316800000000;  // 2025-11-28T08:00:00Z

// A Bluesky postView fixture as a getPostThread answer, and the DID and rkey it is for.
inline Result<fetcher::MappedPost> MapBlueskyPostView(const std::string& post_view) {
  const size_t uri = post_view.find("at://did:");
  if (uri == std::string::npos) return InvalidArgumentError("no at:// URI");
  const size_t end = post_view.find('"', uri);
  auto ref = ParseBlueskyPostRef(post_view.substr(uri, end - uri));
  if (!ref) return ref.error();
  return fetcher::bluesky::MapPostThread(
      R"({"thread":{"$type":"app.bsky.feed.defs#threadViewPost","post":)" + post_view + "}}",
      ref->did, ref->rkey);
}

inline Result<fetcher::MappedPost> MapFixture(const std::string& fixture) {
  const std::string body = Fixture(fixture);
  if (fixture.find("mastodon") != std::string::npos) {
    return fetcher::mastodon::MapStatus(body, "mastodon.social");
  }
  if (fixture.find("bluesky") != std::string::npos) return MapBlueskyPostView(body);
  return fetcher::x::MapTweetResult(body);
}

inline proto::Capture FixtureCapture(const std::string& fixture, int64_t at = kCapturedAt) {
  auto mapped = MapFixture(fixture);
  if (!mapped || mapped->gone)
    throw std::runtime_error("fixture does not map to a post: " + fixture);
  proto::Capture c;
  *c.mutable_captured_at() = google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(at);
  c.set_source_url(mapped->post.platform() == proto::PLATFORM_X
                       ? "https://cdn.syndication.twimg.com/tweet-result?id=" + mapped->post.id()
                       : mapped->post.url());
  c.set_http_status(200);
  *c.mutable_post() = std::move(mapped->post);
  for (auto& slot : fetcher::MediaSlots(*c.mutable_post())) {
    *slot.blob = Sha256Hex(*slot.url);
    if (slot.mime != nullptr)
      *slot.mime = slot.kind == fetcher::BodyKind::kVideo ? "video/mp4" : "image/jpeg";
  }
  return c;
}

inline proto::PostState LiveState(const proto::Capture& c) {
  proto::PostState s;
  s.set_key(c.post().key());
  s.set_current(proto::PostState::CURRENT_LIVE);
  *s.mutable_first_seen() = c.captured_at();
  *s.mutable_last_checked() = c.captured_at();
  *s.mutable_latest_good_at() = c.captured_at();
  s.set_capture_count(1);
  return s;
}

}  // namespace stillpost::testing
