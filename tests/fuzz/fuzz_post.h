// Shared by the mapper targets: what every mapped post must survive (rendering it as an embed
// and as oEmbed, as the server would) and satisfy (valid UTF-8, entities inside the text).
#pragma once

#include <google/protobuf/util/time_util.h>
#include <utf8.h>

#include <cstdlib>

#include "embed/render.h"
#include "fetcher/mapped.h"
#include "fetcher/media.h"

namespace stillpost::fuzz {

inline void Check(bool ok) {
  if (!ok) std::abort();
}

inline void Exercise(fetcher::MappedPost& mapped) {
  if (mapped.gone) return;
  proto::Post& post = mapped.post;
  Check(utf8::is_valid(post.text().begin(), post.text().end()));
  const auto length = static_cast<uint32_t>(utf8::distance(post.text().begin(), post.text().end()));
  for (const auto& e : post.entities()) Check(e.start() <= e.end() && e.end() <= length);
  // The archiver fills the blob fields; give every media slot one so the renderer shows it.
  for (auto& slot : fetcher::MediaSlots(post)) *slot.blob = std::string(64, 'a');
  proto::Capture capture;
  *capture.mutable_captured_at() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(1700000000000000);
  *capture.mutable_post() = post;
  proto::PostState state;
  state.set_key(post.key());
  state.set_current(proto::PostState::CURRENT_LIVE);
  *state.mutable_first_seen() = capture.captured_at();
  const std::string html = embed::RenderEmbed({state, capture}, {});
  Check(utf8::is_valid(html.begin(), html.end()));
  const std::string oembed =
      embed::RenderOEmbed({state, capture}, {"https://archive.example", 400});
  Check(utf8::is_valid(oembed.begin(), oembed.end()));
}

}  // namespace stillpost::fuzz
