#include "fetcher/media.h"

#include <magic.h>

namespace stillpost::fetcher {

std::vector<MediaSlot> MediaSlots(proto::Post& post) {
  std::vector<MediaSlot> out;
  auto* a = post.mutable_author();
  if (!a->avatar_url().empty()) {
    out.push_back({a->mutable_avatar_url(), a->mutable_avatar_blob(), nullptr, nullptr,
                   BodyKind::kImage, MediaSlot::Role::kAvatar});
  }
  // Custom emoji (Mastodon :shortcode:) in the name and the text: their images.
  auto emoji = [&out](proto::Entity& e) {
    if (e.kind() == proto::Entity::KIND_CUSTOM_EMOJI && !e.target().empty()) {
      out.push_back({e.mutable_target(), e.mutable_target_blob(), nullptr, nullptr,
                     BodyKind::kImage, MediaSlot::Role::kEmoji});
    }
  };
  for (auto& e : *a->mutable_name_entities()) emoji(e);
  for (auto& e : *post.mutable_entities()) emoji(e);
  for (auto& m : *post.mutable_media()) {
    if (!m.original_url().empty()) {
      const bool moving = m.kind() == proto::Media::KIND_VIDEO ||
                          m.kind() == proto::Media::KIND_GIF ||
                          m.kind() == proto::Media::KIND_AUDIO;
      out.push_back({m.mutable_original_url(), m.mutable_blob(), m.mutable_mime(),
                     m.mutable_failure(), moving ? BodyKind::kVideo : BodyKind::kImage});
    }
    if (!m.poster_url().empty()) {
      out.push_back(
          {m.mutable_poster_url(), m.mutable_poster_blob(), nullptr, nullptr, BodyKind::kImage});
    }
  }
  auto* card = post.mutable_card();
  if (!card->image_url().empty()) {
    out.push_back({card->mutable_image_url(), card->mutable_image_blob(), nullptr, nullptr,
                   BodyKind::kImage});
  }
  if (post.has_quoted()) {
    auto inner = MediaSlots(*post.mutable_quoted());
    out.insert(out.end(), inner.begin(), inner.end());
  }
  if (post.has_reply_to()) {
    auto inner = MediaSlots(*post.mutable_reply_to());
    out.insert(out.end(), inner.begin(), inner.end());
  }
  return out;
}

struct MimeSniffer::Impl {
  magic_t cookie = nullptr;
  Status status;
};

MimeSniffer::MimeSniffer() : impl_(std::make_unique<Impl>()) {
  impl_->cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR);
  if (impl_->cookie == nullptr || magic_load(impl_->cookie, nullptr) != 0) {
    const char* why = impl_->cookie != nullptr ? magic_error(impl_->cookie) : nullptr;
    impl_->status = InternalError(std::string("libmagic cannot load its database") +
                                  (why != nullptr ? std::string(": ") + why : std::string()));
    if (impl_->cookie != nullptr) magic_close(impl_->cookie);
    impl_->cookie = nullptr;
  }
}

MimeSniffer::~MimeSniffer() {
  if (impl_->cookie != nullptr) magic_close(impl_->cookie);
}

const Status& MimeSniffer::status() const { return impl_->status; }

std::string MimeSniffer::Sniff(std::string_view data) {
  if (impl_->cookie == nullptr) return "application/octet-stream";
  const char* type = magic_buffer(impl_->cookie, data.data(), data.size());
  return type != nullptr ? type : "application/octet-stream";
}

bool MimeFits(BodyKind expected, std::string_view mime) {
  switch (expected) {
    case BodyKind::kImage:
      return mime == "image/jpeg" || mime == "image/png" || mime == "image/gif" ||
             mime == "image/webp" || mime == "image/avif";
    case BodyKind::kVideo:
      return mime == "video/mp4" || mime == "video/quicktime" || mime == "video/webm" ||
             mime == "audio/mp4" || mime == "audio/mpeg" || mime == "audio/ogg" ||
             mime == "image/gif";
    case BodyKind::kJson:
      return mime == "application/json" || mime == "text/plain";
    case BodyKind::kHtml:
      return mime == "text/html" || mime == "text/plain";
  }
  return false;
}

}  // namespace stillpost::fetcher
