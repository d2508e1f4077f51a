// What the route handlers share: JSON and error responses, gzip, the cache lifetimes, the
// parsed query, and the caches' entry types. Private to server/.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "archive/store.h"
#include "common/time.h"
#include "server/detail/http_status.h"
#include "server/detail/lru.h"
#include "server/routes.h"

namespace stillpost::server::detail {

inline constexpr const char* kLatestCache = "public, max-age=60, must-revalidate";
inline constexpr const char* kImmutable = "public, max-age=31536000, immutable";
inline constexpr const char* kPinnedCache = "public, max-age=86400";
// Bodies smaller than this go as they are: gzip's header and a round of deflate cost more.
inline constexpr size_t kCompressFrom = 512;

// A JSON response, not cached.
Response Json(int status, std::string body);
// {"error": message}; messages can quote what the request said (a URL, a key): JSON must stay
// valid UTF-8.
Response Error(int status, std::string_view message);
// The error response for a failed Status: its HTTP status (HttpStatusFor) and its message.
Response Error(const Status& s);

// `in` as one gzip member (RFC 1952) by zlib, mtime 0; empty if zlib fails.
std::string Gzip(std::string_view in);

// A rendered embed and its gzip encoding, made once, when a client first asks for gzip: most
// renders are never asked for it (measured: compressing every render cost the serve benchmark
// half its rate, its clients sending no Accept-Encoding). Thread-safe.
struct Rendered {
  std::string html;
  std::string link;  // the Memento Link header (the post's original URL is in the capture)
  const std::string& Gzipped() const {
    std::call_once(once_, [this] { gzip_ = Gzip(html); });
    return gzip_;
  }

 private:
  mutable std::once_flag once_;
  mutable std::string gzip_;
};

}  // namespace stillpost::server::detail

namespace stillpost::server {

// Rendered embeds by URL and ETag, counted by entries.
struct Router::Cache : detail::Lru<detail::Rendered> {
  static constexpr size_t kShards = 16;
  explicit Cache(size_t entries)
      : Lru(
            entries, [](const detail::Rendered&) -> size_t { return 1; },
            entries >= kShards ? kShards : 1,
            /*admit_on_second_sight=*/true) {}
};

// Stored media by digest, counted by bytes. Blobs never change, so entries never go stale.
struct Router::MediaCache : detail::Lru<archive::Blob> {
  explicit MediaCache(size_t bytes)
      : Lru(bytes, [](const archive::Blob& b) -> size_t { return b.data().size(); }) {}
};

}  // namespace stillpost::server
