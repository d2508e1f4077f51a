// What the server answers, as a pure function from a request to a response: no sockets, so
// every route is testable directly. server.h puts it behind Boost.Beast.
#pragma once

#include <atomic>
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

struct Request {
  std::string method;  // "GET", "HEAD", ...
  std::string target;  // path and query, as received
  std::string if_none_match;
  std::string range;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::shared_ptr<const std::string> shared_body;  // a cached body, served without a copy
  // Media: the stored bytes themselves (no copy), served from offset for length bytes.
  std::shared_ptr<const archive::Blob> blob;
  size_t offset = 0;
  size_t length = 0;
  std::string route = "other";  // for metrics

  void Set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
  size_t BodySize() const {
    return blob ? length : (shared_body ? shared_body->size() : body.size());
  }
  const char* BodyData() const {
    return blob ? blob->data().data() + offset : (shared_body ? shared_body->data() : body.data());
  }
};

// Request counts, latencies and bytes for /metrics.
class Metrics {
 public:
  static constexpr double kBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1.0};
  void Record(const std::string& route, int status, double seconds, size_t bytes);
  std::string Render(const archive::StoreStats& stats) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  uint64_t buckets_[std::size(kBuckets)] = {};
  uint64_t count_ = 0;
  double sum_ = 0;
  uint64_t bytes_ = 0;
};

struct RouterOptions {
  std::string public_base;                 // "http://127.0.0.1:8080", for oEmbed and links
  size_t render_cache_entries = 4096;      // rendered embeds kept in memory (LRU by count)
  size_t media_cache_bytes = 64 << 20;     // media kept in memory (LRU by size)
  size_t media_cache_max_item = 16 << 20;  // larger media are read from the store each time
};

class Router {
 public:
  Router(archive::Store& store, RouterOptions options);
  ~Router();
  Response Handle(const Request& request);
  // Set before the server runs, when the base is known only after binding.
  void set_public_base(std::string base) { options_.public_base = std::move(base); }
  Metrics& metrics() { return metrics_; }

 private:
  Response Embed(const Request& r, std::string_view key, std::string_view query);
  Response Media(const Request& r, std::string_view sha);
  Response OEmbed(std::string_view query);
  Response Api(std::string_view rest);
  Response Home(std::string_view query);

  archive::Store& store_;
  RouterOptions options_;
  Metrics metrics_;
  struct Cache;
  std::unique_ptr<Cache> cache_;
  struct MediaCache;
  std::unique_ptr<MediaCache> media_cache_;
};

// "bytes=0-99" against a size: the [first, last] to serve; nullopt when unsatisfiable;
// {0, size-1} with `whole` set when the header is absent, malformed or names several ranges.
struct ByteRange {
  size_t first = 0;
  size_t last = 0;
  bool whole = true;
};
std::optional<ByteRange> ParseRange(std::string_view header, size_t size);

}  // namespace stillpost::server
