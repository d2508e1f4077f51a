// Builders for realistic captures in tests: a post with entities, media and a quote, and a
// tombstone. Deterministic for a given seed, so a test can rebuild what it expects.
#pragma once

#include <google/protobuf/util/time_util.h>

#include <string>

#include "common/sha256.h"
#include "common/time.h"
#include "stillpost.pb.h"

namespace stillpost::testing {

inline google::protobuf::Timestamp Ts(UnixMicros t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(t);
}

// Bytes that stand for an image; distinct per seed.
inline std::string FakeMedia(int seed, size_t size = 2048) {
  std::string data(size, '\0');
  uint32_t x = static_cast<uint32_t>(seed) * 2654435761u + 1;
  for (auto& c : data) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
  return data;
}

inline proto::Post SamplePost(const std::string& id, int seed) {
  proto::Post p;
  p.set_platform(proto::PLATFORM_X);
  p.set_id(id);
  p.set_key("x/" + id);
  p.set_url("https://x.com/someone/status/" + id);
  p.mutable_author()->set_id("12");
  p.mutable_author()->set_handle("someone");
  p.mutable_author()->set_display_name("Some One \xF0\x9F\x93\xB0");
  p.mutable_author()->set_verified(proto::VERIFIED_BLUE);
  *p.mutable_created_at() = Ts(1499442660000000);
  p.set_text("Revision " + std::to_string(seed) +
             " of a post with #tag and @mention \xF0\x9F\x87\xBA");
  auto* tag = p.add_entities();
  tag->set_kind(proto::Entity::KIND_HASHTAG);
  tag->set_start(static_cast<uint32_t>(p.text().find('#')));
  tag->set_end(tag->start() + 4);
  tag->set_target_id("tag");
  p.set_lang("en");
  p.mutable_counts()->set_likes(static_cast<uint64_t>(seed) * 3);
  return p;
}

inline proto::Capture SampleCapture(const std::string& id, UnixMicros at, int seed) {
  proto::Capture c;
  *c.mutable_captured_at() = Ts(at);
  c.set_source_url("https://cdn.syndication.twimg.com/tweet-result?id=" + id);
  c.set_http_status(200);
  *c.mutable_post() = SamplePost(id, seed);
  return c;
}

inline proto::Capture TombstoneCapture(
    const std::string& id, UnixMicros at,
    proto::Tombstone::Kind kind = proto::Tombstone::KIND_DELETED) {
  proto::Capture c;
  *c.mutable_captured_at() = Ts(at);
  c.set_source_url("https://cdn.syndication.twimg.com/tweet-result?id=" + id);
  c.set_http_status(404);
  c.mutable_tombstone()->set_kind(kind);
  c.mutable_tombstone()->set_upstream_text("This Post was deleted by the Post author.");
  return c;
}

}  // namespace stillpost::testing
