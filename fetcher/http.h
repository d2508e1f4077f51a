// The one HTTP client of stillpost: every upstream byte arrives through it. libcurl's multi
// interface runs many transfers on one thread, with keep-alive and HTTP/2 where offered, limits
// on total and per-host connections, timeouts, a size cap per kind of body enforced while
// reading, retries with exponential backoff and jitter (timeouts, 429, 5xx; Retry-After is
// honoured), at most kMaxRedirects redirects, http/https only, and a guard that refuses to
// connect to private, loopback, link-local, multicast and reserved addresses.
//
// Start here: HttpClient client(options); client.Add({url, BodyKind::kJson}, callback);
// client.Run();  Callbacks run on the thread that calls Run() and may Add() more requests.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "fetcher/upstream.h"

namespace stillpost::fetcher {

// What a body is expected to be; each kind has its own size cap.
enum class BodyKind { kJson, kImage, kVideo, kHtml };

// Named limits; every one can be overridden by a flag of `stillpost archive`.
struct HttpLimits {
  static constexpr int kMaxRedirects = 5;

  int max_connections = 16;          // across all hosts
  int max_connections_per_host = 6;  // politeness toward one upstream
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds json_timeout{30'000};    // whole transfer, JSON and HTML
  std::chrono::milliseconds media_timeout{300'000};  // whole transfer, images and video
  long low_speed_bytes_per_second = 1024;            // slower than this ...
  std::chrono::seconds low_speed_window{20};         // ... for this long is a stall
  uint64_t max_json_bytes = 8ull << 20;
  uint64_t max_html_bytes = 16ull << 20;
  uint64_t max_image_bytes = 32ull << 20;
  uint64_t max_video_bytes = 512ull << 20;
  int max_attempts = 4;  // first try + retries
  std::chrono::milliseconds backoff_base{500};
  std::chrono::milliseconds backoff_max{15'000};
  std::chrono::milliseconds retry_after_max{60'000};  // a longer Retry-After is an error
};

struct HttpOptions {
  HttpLimits limits;
  UpstreamMap upstreams;
  // Let requests that an upstream rule rewrote reach private addresses (upstream-replay on
  // 127.0.0.1). Addresses reached any other way (a redirect to 10.0.0.1) are still refused.
  bool allow_private_upstreams = false;
  std::string user_agent;  // default: "stillpost/<version> (+archive of embedded posts)"
};

struct HttpRequest {
  std::string url;  // canonical absolute http(s) URL
  BodyKind kind = BodyKind::kJson;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string content_type;
  std::string url;  // canonical URL of the final answer, after redirects
  int attempts = 0;
};

class HttpClient {
 public:
  // Called once per request with the final response (any status, after retries) or an error:
  //   DeadlineExceeded   timed out or stalled, after the retries
  //   ResourceExhausted  body over the cap for its kind; 429 still after the retries
  //   Unavailable        could not connect, 5xx after the retries, connection broke
  //   InvalidArgument    not http(s), too many redirects, an address the guard refuses
  //   DataLoss           the body was cut short (fewer bytes than Content-Length)
  using Callback = std::function<void(Result<HttpResponse>)>;

  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  void Add(HttpRequest request, Callback done);
  // Runs until every request added (also from callbacks) has completed.
  void Run();

  const HttpOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "stillpost/0.1.0 (+https://github.com/stillpost)" and friends.
std::string DefaultUserAgent();

}  // namespace stillpost::fetcher
