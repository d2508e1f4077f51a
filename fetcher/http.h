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

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "fetcher/rate_limit.h"
#include "fetcher/upstream.h"
#include "stillpost.pb.h"

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
  // Content-Encoding amplification: once a decoded body passes `ratio_floor_bytes`, it may be
  // at most `max_decoded_ratio` times the bytes that came over the wire (a 500 KB gzip bomb
  // decodes to 500 MB; real JSON and HTML compress 5-20x, media not at all).
  double max_decoded_ratio = 100.0;
  uint64_t ratio_floor_bytes = 1ull << 20;
};

struct HttpOptions {
  HttpLimits limits;
  UpstreamMap upstreams;
  // Let requests that an upstream rule rewrote reach private addresses (upstream-replay on
  // 127.0.0.1). Addresses reached any other way (a redirect to 10.0.0.1) are still refused.
  bool allow_private_upstreams = false;
  std::string user_agent;  // default: "stillpost/<version> (+archive of embedded posts)"
  // An explicit proxy (http://host:port). Without one, no proxy is used whatever the
  // environment says (HTTPS_PROXY and friends would otherwise send every request to an address
  // the guard never sees). Through a proxy, the guard checks the destination's addresses.
  std::string proxy;
  // Where media bodies are spooled while they download (an unlinked file each); $TMPDIR, else
  // /tmp, when empty.
  std::string spool_dir;
  // When set and it becomes true, Run() ends soon (within a second): requests not finished get
  // Cancelled-as-Unavailable ("stopping") callbacks. For a server that stops mid-job.
  const std::atomic<bool>* cancel = nullptr;
  // When set, every request waits for a token of its host's bucket, a host whose circuit is
  // open is not asked (Unavailable), and each answer is reported to it (rate_limit.h). A 429 is
  // then retried after the wait the limiter sets, when that is within retry_after_max.
  std::shared_ptr<HostLimiter> limiter;
  // false: the limiter's 429 waits and circuits apply, its buckets do not (work a person asked
  // for now, such as the server's archive jobs; the re-check scheduler is paced).
  bool limiter_paces = true;
};

struct HttpRequest {
  std::string url;  // canonical absolute http(s) URL
  BodyKind kind = BodyKind::kJson;
  // When set, the request (retries and redirects included) must end by then: each attempt's
  // timeout is cut to what is left, and none starts after it (DeadlineExceeded).
  std::chrono::steady_clock::time_point deadline{};
  // Extra request headers, "Name: value" (a conditional GET's If-None-Match).
  std::vector<std::string> headers = {};
  // A POST of this body instead of a GET (a webhook delivery); `headers` should say its type.
  std::optional<std::string> post_body = std::nullopt;
  // The operator named this URL (a --webhook): the address guard does not apply, as for a
  // configured upstream with allow_private_upstreams.
  bool operator_destination = false;
};

// A body kept on disk rather than in memory: media, whose bodies can be hundreds of MB. The
// file is unlinked from the start and mapped read-only; data() is valid while this lives.
// Thread safety: immutable once made; share it freely (shared_ptr).
class SpooledBody {
 public:
  // Maps the first `size` bytes of the open file `fd` (which it closes). Internal on failure.
  static Result<std::shared_ptr<const SpooledBody>> Map(int fd, size_t size);
  ~SpooledBody();
  SpooledBody(const SpooledBody&) = delete;
  SpooledBody& operator=(const SpooledBody&) = delete;
  std::string_view data() const { return {data_, size_}; }

 private:
  SpooledBody() = default;
  const char* data_ = nullptr;
  size_t size_ = 0;
};

struct HttpResponse {
  long status = 0;
  std::string body;                            // JSON and HTML bodies
  std::shared_ptr<const SpooledBody> spooled;  // image and video bodies (status 200)
  std::string content_type;
  std::string url;  // canonical URL of the final answer, after redirects
  int attempts = 0;
  std::string etag;  // the answer's ETag and Last-Modified, for a conditional GET
  std::string last_modified;
  // The final request and its answer as they crossed the wire (heads, address, TLS chain),
  // which a capture keeps for its WARC export; `url` is set, the rest when there was an answer.
  proto::HttpExchange exchange;
};

// Thread safety: not thread-safe. One thread Add()s and Run()s; callbacks run on that thread,
// inside Run(), and may Add() more. Transfers still pending when the client is destroyed are
// dropped without their callbacks.
class HttpClient {
 public:
  // Called once per request with the final response (any status, after retries) or an error:
  //   DeadlineExceeded   timed out or stalled, after the retries
  //   ResourceExhausted  body over the cap for its kind; 429 still after the retries
  //   Unavailable        could not connect, 5xx after the retries, connection broke
  //   InvalidArgument    not http(s), too many redirects, a malformed redirect
  //   PermissionDenied   an address the guard refuses (private, loopback, reserved, ...)
  //   DataLoss           the body was cut short (fewer bytes than Content-Length)
  //   DeadlineExceeded   also: the request's deadline passed
  //   ResourceExhausted  also: the body decodes to far more than was sent (max_decoded_ratio)
  //   Internal           a media body could not be spooled to disk
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

// Whether the guard lets a connection to this literal IPv4 or IPv6 address through: public
// unicast only (not private, shared, loopback, link-local, documentation, benchmarking, NAT64
// local-use, 6to4 or mapped forms of a non-public IPv4, ORCHID, SRv6 SIDs, multicast, reserved).
// False for text that is not an address.
bool IsPublicIp(std::string_view address);

}  // namespace stillpost::fetcher
