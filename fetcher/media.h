// Media in a Post: the URL fields mapping filled in, the blob fields the archiver fills once the
// bytes are stored, and what the bytes really are (libmagic), checked against what was expected.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "fetcher/http.h"
#include "stillpost.pb.h"

namespace stillpost::fetcher {

// One downloadable field of a post (or of its quoted post or parent).
struct MediaSlot {
  std::string* url;      // where to fetch from; rewritten to the URL actually fetched
  std::string* blob;     // SHA-256 of the stored bytes, set after the download
  std::string* mime;     // verified MIME type, when the field has one; may be null
  std::string* failure;  // why the download failed, when the field has one; may be null
  BodyKind kind;
  enum class Role { kAvatar, kEmoji, kMedia } role = Role::kMedia;  // what the per-post caps count
};

// Every slot of `post` with a URL, in a fixed order, recursing into quoted and reply_to.
std::vector<MediaSlot> MediaSlots(proto::Post& post);

// What the bytes are, by content (libmagic). Not thread-safe: one per thread.
class MimeSniffer {
 public:
  // Loads libmagic's database; when that fails, status() says so and Sniff() knows nothing.
  MimeSniffer();
  ~MimeSniffer();
  MimeSniffer(const MimeSniffer&) = delete;
  MimeSniffer& operator=(const MimeSniffer&) = delete;

  // Ok, or Internal when libmagic could not be loaded.
  const Status& status() const;
  // "image/jpeg", "video/mp4", "application/json", ...; "application/octet-stream" if unknown
  // (or when status() is not ok).
  std::string Sniff(std::string_view data);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether a sniffed type is acceptable for what was expected: a photo must be an image we can
// serve (jpeg, png, gif, webp, avif), a video an mp4/quicktime/webm.
bool MimeFits(BodyKind expected, std::string_view mime);

}  // namespace stillpost::fetcher
