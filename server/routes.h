// What the server answers, as a pure function from a request to a response: no sockets, so
// every route is testable directly. server.h puts it behind Boost.Beast.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "archive/store.h"

namespace stillpost::server {

// Views into the received request, valid while Handle() runs.
struct Request {
  std::string_view method;  // "GET", "HEAD", ...
  std::string_view target;  // path and query, as received
  std::string_view if_none_match;
  std::string_view range;
  std::string_view if_range = {};         // a Range applies only when this matches the ETag
  std::string_view accept_encoding = {};  // gzip is sent when the client accepts it
};

// A response header. Names are always literals; a value is either a literal (or a string that
// lives as long as the program, such as the embed CSP) or owned by the header. Most of an
// embed's headers are fixed, so they cost no allocation or copy per request.
struct Header {
  std::string_view name;
  std::string_view fixed;  // when `owned` is empty
  std::string owned;
  std::string_view Value() const { return owned.empty() ? fixed : std::string_view(owned); }
};

struct Response {
  int status = 200;
  std::vector<Header> headers;
  std::string body;
  std::shared_ptr<const std::string> shared_body;  // a cached body, served without a copy
  // Media: the stored bytes themselves (no copy), served from offset for length bytes.
  std::shared_ptr<const archive::Blob> blob;
  size_t offset = 0;
  size_t length = 0;
  // HEAD of media: the Content-Length a GET would send, from the stored size; nothing is read.
  std::optional<size_t> head_length;
  // Large media: the body is read from the store a piece at a time while it is written, off
  // the event loop (Server), `stream_length` bytes from `offset`; `read` returns the bytes of
  // one piece (offset, length), or an error that ends the response early.
  std::function<Result<std::string>(uint64_t, size_t)> read;
  size_t stream_length = 0;
  std::string_view route = "other";  // for metrics: always a literal

  // A literal (or otherwise static) value, kept by reference.
  void Set(std::string_view name, const char* literal) {
    headers.push_back(Header{name, literal, {}});
  }
  void SetStatic(std::string_view name, std::string_view value) {
    headers.push_back(Header{name, value, {}});
  }
  // A value built for this response.
  void Set(std::string_view name, std::string value) {
    if (value.empty()) return SetStatic(name, "");
    headers.push_back(Header{name, {}, std::move(value)});
  }
  // Replaces the value of `name` (or adds it).
  void Replace(std::string_view name, const char* literal) {
    for (auto& h : headers) {
      if (h.name == name) {
        h.fixed = literal;
        h.owned.clear();
        return;
      }
    }
    Set(name, literal);
  }
  size_t BodySize() const {
    if (head_length) return *head_length;
    if (read) return stream_length;
    return blob ? length : (shared_body ? shared_body->size() : body.size());
  }
  const char* BodyData() const {
    return blob ? blob->data().data() + offset : (shared_body ? shared_body->data() : body.data());
  }
};

// Request counts, latencies and bytes for /metrics. Every request records, on every server
// thread: each thread counts into its own cache-line-aligned slot (relaxed atomics that no other
// thread writes), and /metrics adds the slots up. A shared lock or shared counters here cost
// more than they count.
class Metrics {
 public:
  static constexpr double kBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1.0};
  static constexpr std::string_view kRoutes[] = {"embed",   "media",   "oembed", "api",  "embed.js",
                                                 "healthz", "metrics", "home",   "other"};
  static constexpr int kStatuses[] = {200, 206, 304, 400, 404, 405, 416, 431, 500, 501, 503};
  void Record(std::string_view route, int status, double seconds, size_t bytes);
  std::string Render(const archive::StoreStats& stats) const;

 private:
  static constexpr size_t kSlots = 16;  // threads beyond this share slots (still correct)
  struct alignas(64) Slot {
    // [route][status], the last status slot counting any other status.
    std::atomic<uint64_t> requests[std::size(kRoutes)][std::size(kStatuses) + 1] = {};
    std::atomic<uint64_t> buckets[std::size(kBuckets)] = {};
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_micros{0};
    std::atomic<uint64_t> bytes{0};
  };
  Slot slots_[kSlots];
};

struct RouterOptions {
  // The base of every URL we emit: "http://127.0.0.1:8080", or with a path prefix
  // ("https://news.example/archive") when deployed under one; requests may arrive with the
  // prefix (a proxy that passes it on) or without it (one that strips it).
  std::string public_base;
  size_t render_cache_entries = 4096;      // rendered embeds kept in memory (LRU by count)
  size_t media_cache_bytes = 64 << 20;     // media kept in memory (LRU by size)
  size_t media_cache_max_item = 16 << 20;  // larger media are streamed from the store, in pieces
};

class Router {
 public:
  Router(archive::Store& store, RouterOptions options);
  ~Router();
  Response Handle(const Request& request);
  // Set before the server runs, when the base is known only after binding.
  void set_public_base(std::string base);
  Metrics& metrics() { return metrics_; }

 private:
  Response Route(const Request& r, std::string_view path, std::string_view query);
  Response Embed(const Request& r, std::string_view key, std::string_view query);
  Response Media(const Request& r, std::string_view sha);
  Response OEmbed(std::string_view query);
  Response EmbedJs(const Request& r);
  Response Api(std::string_view rest);
  Response Articles(std::string_view query);
  Response Home(std::string_view query);
  std::string HomeItem(const std::string& key) const;  // one line of the home page's lists

  archive::Store& store_;
  RouterOptions options_;
  std::string base_path_;  // the path of public_base without its trailing slash: "" or "/archive"
  Metrics metrics_;
  struct Cache;
  std::unique_ptr<Cache> cache_;
  struct MediaCache;
  std::unique_ptr<MediaCache> media_cache_;
};

// A post key as a request names it, made canonical: percent escapes decoded (but a did:web
// port's %3A, which the key keeps), the platform and a Mastodon host or did:web host in lower
// case. InvalidArgument when what is left is not a key (ParsePostKey's reason).
Result<std::string> NormalizeKey(std::string_view encoded);

// Whether an Accept-Encoding header accepts gzip (a q=0 refuses it).
bool AcceptsGzip(std::string_view accept_encoding);

// "bytes=0-99" against a size: the [first, last] to serve; nullopt when unsatisfiable;
// {0, size-1} with `whole` set when the header is absent, malformed or names several ranges.
struct ByteRange {
  size_t first = 0;
  size_t last = 0;
  bool whole = true;
};
std::optional<ByteRange> ParseRange(std::string_view header, size_t size);

}  // namespace stillpost::server
