#include "common/sha256.h"
#include "server/detail/range.h"
#include "server/detail/respond.h"
#include "server/routes.h"

namespace stillpost::server {

using detail::Error;
using detail::Json;

// /media/SHA256: a stored blob as the type verified at capture, with single byte ranges; held
// in the media cache when small, streamed from the store in pieces when large.
Response Router::Media(const Request& req, std::string_view sha) {
  if (!IsSha256Hex(sha)) return Error(400, "a media name is a SHA-256 digest");
  auto meta = store_.GetBlobMeta(sha);
  if (!meta) return Error(meta.error());
  const std::string etag = "\"" + std::string(sha) + "\"";
  Response r;
  r.Set("ETag", etag);
  r.Set("Cache-Control", detail::kImmutable);
  r.Set("Accept-Ranges", "bytes");
  // Served only as the type verified at capture: nothing is sniffed into something else.
  r.Set("Content-Type", meta->mime().empty() ? "application/octet-stream" : meta->mime());
  // Opened directly, an image or video is shown by the browser's own media document, which
  // loads the bytes from this same URL: only that is allowed.
  r.Set("Content-Security-Policy",
        "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox");
  if (req.if_none_match == etag) {
    r.status = 304;
    return r;
  }
  const std::string digest(sha);
  // If-Range: the range only for this very representation; any other validator (or a date: we
  // send no Last-Modified) gets the whole body.
  const std::string_view range_header =
      !req.if_range.empty() && req.if_range != etag ? std::string_view() : req.range;
  std::shared_ptr<const archive::Blob> shared = media_cache_->Get(digest);
  if (!shared && meta->has_size()) {
    // What HEAD and an unsatisfiable range need is the size, which the metadata has: the blob
    // (hundreds of MB for a video) is not read for them.
    const auto size = static_cast<size_t>(meta->size());
    auto range = detail::ParseRange(range_header, size);
    if (!range) {
      Response bad = Error(416, "range not satisfiable");
      bad.Set("Content-Range", "bytes */" + std::to_string(size));
      return bad;
    }
    if (req.method == "HEAD") {
      if (!range->whole) {
        r.status = 206;
        r.Set("Content-Range", "bytes " + std::to_string(range->first) + "-" +
                                   std::to_string(range->last) + "/" + std::to_string(size));
      }
      r.head_length = range->whole ? size : range->last - range->first + 1;
      return r;
    }
    if (size > options_.media_cache_max_item) {
      // Too large to hold: streamed from the store, reading only the pieces the range needs.
      if (!range->whole) {
        r.status = 206;
        r.Set("Content-Range", "bytes " + std::to_string(range->first) + "-" +
                                   std::to_string(range->last) + "/" + std::to_string(size));
      }
      r.offset = range->whole ? 0 : range->first;
      r.stream_length = range->whole ? size : range->last - range->first + 1;
      r.read = [store = &store_, digest, m = *meta](uint64_t at, size_t n) {
        return store->ReadBlobRange(digest, at, n, &m);
      };
      return r;
    }
  }
  if (!shared) {
    auto blob = store_.GetBlob(sha, &*meta);
    if (!blob) return Error(blob.error());
    shared = std::make_shared<const archive::Blob>(std::move(*blob));
    if (shared->data().size() <= options_.media_cache_max_item) media_cache_->Put(digest, shared);
  }
  const size_t size = shared->data().size();
  auto range = detail::ParseRange(range_header, size);
  if (!range) {
    Response bad = Error(416, "range not satisfiable");
    bad.Set("Content-Range", "bytes */" + std::to_string(size));
    return bad;
  }
  r.blob = shared;
  if (range->whole) {
    r.offset = 0;
    r.length = size;
    return r;
  }
  r.status = 206;
  r.offset = range->first;
  r.length = range->last - range->first + 1;
  r.Set("Content-Range", "bytes " + std::to_string(range->first) + "-" +
                             std::to_string(range->last) + "/" + std::to_string(size));
  return r;
}

}  // namespace stillpost::server
