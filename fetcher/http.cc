#include "fetcher/http.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <unordered_map>

#include "common/crypto.h"
#include "common/version.h"
#include "fetcher/detail/address_guard.h"
#include "fetcher/detail/http_policy.h"
#include "fetcher/detail/links.h"
#include "proto/time.h"

namespace stillpost::fetcher {
namespace {

using detail::HostOf;

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr long kIdlePollMs = 1000;

// libcurl's global init is process-wide; do it once.
void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string AddressText(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

bool PublicAddress(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    return detail::PublicV4(ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr));
  }
  if (sa->sa_family == AF_INET6) {
    return detail::PublicV6(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
  }
  return false;
}

const char* KindName(BodyKind kind) {
  switch (kind) {
    case BodyKind::kJson:
      return "JSON";
    case BodyKind::kHtml:
      return "HTML";
    case BodyKind::kImage:
      return "image";
    case BodyKind::kVideo:
      return "video";
  }
  return "body";
}

// A URL for messages: up to the first '&' (X's request URLs carry long feature lists).
std::string Short(const std::string& url) { return url.substr(0, url.find('&')); }

}  // namespace

Result<std::shared_ptr<const SpooledBody>> SpooledBody::Map(int fd, size_t size) {
  std::shared_ptr<SpooledBody> body(new SpooledBody());
  if (size > 0) {
    void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      close(fd);
      return InternalError(std::string("cannot map a spooled body: ") + std::strerror(err));
    }
    body->data_ = static_cast<const char*>(p);
    body->size_ = size;
  }
  close(fd);  // the mapping keeps the (unlinked) file's pages
  return std::shared_ptr<const SpooledBody>(std::move(body));
}

SpooledBody::~SpooledBody() {
  if (data_ != nullptr) munmap(const_cast<char*>(data_), size_);
}

std::string DefaultUserAgent() {
  return std::string("stillpost/") + kVersion + " (archive of posts embedded in articles)";
}

// libcurl's handles, owned: freed however their owner goes away.
struct EasyCleanup {
  void operator()(CURL* e) const { curl_easy_cleanup(e); }
};
struct MultiCleanup {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};
using EasyHandle = std::unique_ptr<CURL, EasyCleanup>;
struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using HeaderList = std::unique_ptr<curl_slist, SlistFree>;
using MultiHandle = std::unique_ptr<CURLM, MultiCleanup>;

struct HttpClient::Impl {
  struct Transfer {
    Impl* impl = nullptr;
    HttpRequest request;
    Callback done;
    std::string current_url;  // canonical URL of this hop
    bool via_upstream = false;
    int attempts = 0;
    int redirects = 0;
    Clock::time_point not_before{};
    EasyHandle easy;     // while active: added to impl->multi (removed before it is freed)
    HeaderList headers;  // the request's own headers, alive while the transfer is
    std::string etag;
    std::string last_modified;
    std::string request_head;   // as libcurl sent it (its debug callback)
    std::string response_head;  // the final answer's status line and headers
    std::string sent_to;        // the URL asked when an upstream rule rewrote it
    RateHeaders rate;
    uint64_t cap = 0;
    std::string body;
    std::string location;
    std::string content_type;
    bool over_cap = false;
    bool amplified = false;  // decoded far beyond what was sent
    std::string spool_error;
    int spool_fd = -1;        // media: the unlinked file the body goes to
    uint64_t body_bytes = 0;  // decoded bytes received in this attempt
    std::string refused_address;

    void CloseSpool() {
      if (spool_fd >= 0) close(spool_fd);
      spool_fd = -1;
    }
    ~Transfer() {
      if (easy) curl_multi_remove_handle(impl->multi.get(), easy.get());
      CloseSpool();
    }
  };

  HttpOptions options;
  std::unordered_map<std::string, std::vector<std::string>> chains;  // host -> DER, last seen
  MultiHandle multi;  // before `active`: destroyed after the transfers that were added to it
  std::deque<std::unique_ptr<Transfer>> waiting;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active;
  std::mt19937 rng{std::random_device{}()};

  uint64_t CapFor(BodyKind kind) const {
    switch (kind) {
      case BodyKind::kJson:
        return options.limits.max_json_bytes;
      case BodyKind::kHtml:
        return options.limits.max_html_bytes;
      case BodyKind::kImage:
        return options.limits.max_image_bytes;
      case BodyKind::kVideo:
        return options.limits.max_video_bytes;
    }
    return options.limits.max_json_bytes;
  }

  static size_t OnBody(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t bytes = size * n;
    if (t->body_bytes + bytes > t->cap) {
      t->over_cap = true;
      return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    t->body_bytes += bytes;
    const HttpLimits& l = t->impl->options.limits;
    if (t->body_bytes > l.ratio_floor_bytes) {
      // Bytes that came over the wire (before Content-Encoding was undone).
      curl_off_t wire = 0;
      curl_easy_getinfo(t->easy.get(), CURLINFO_SIZE_DOWNLOAD_T, &wire);
      if (static_cast<double>(t->body_bytes) >
          l.max_decoded_ratio * static_cast<double>(std::max<curl_off_t>(wire, 1))) {
        t->amplified = true;
        return 0;
      }
    }
    if (t->spool_fd >= 0) {
      for (size_t done = 0; done < bytes;) {
        const ssize_t w = write(t->spool_fd, data + done, bytes - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          t->spool_error = std::string("cannot spool a media body: ") + std::strerror(errno);
          return 0;
        }
        done += static_cast<size_t>(w);
      }
      return bytes;
    }
    t->body.append(data, bytes);
    return bytes;
  }

  // An unlinked file for one media body, in spool_dir.
  int OpenSpool() const {
    std::string dir = options.spool_dir;
    if (dir.empty()) {
      const char* tmp = std::getenv("TMPDIR");
      dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    }
    int fd = open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) return fd;
    std::string path = dir + "/stillpost-spool-XXXXXX";  // file systems without O_TMPFILE
    fd = mkostemp(path.data(), O_CLOEXEC);
    if (fd >= 0) unlink(path.c_str());
    return fd;
  }

  // Through a proxy the socket goes to the proxy, so the guard checks where the request is
  // meant to go: every address the destination's name resolves to must be public.
  std::string RefusedDestination(const std::string& url) const {
    auto u = boost::urls::parse_absolute_uri(url);
    if (!u) return "";
    const std::string host(u->encoded_host_address());
    std::string bare = host;
    if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']')
      bare = bare.substr(1, bare.size() - 2);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(bare.c_str(), nullptr, &hints, &res) != 0) return "";  // curl reports it
    std::string refused;
    for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
      if (!PublicAddress(a->ai_addr)) {
        refused = AddressText(a->ai_addr);
        break;
      }
    }
    freeaddrinfo(res);
    return refused;
  }

  static size_t OnHeader(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::string_view line(data, size * n);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
    if (line.rfind("HTTP/", 0) == 0) {  // a new response (1xx, or after a proxy)
      t->response_head.assign(line).append("\r\n");
      t->location.clear();
      t->content_type.clear();
      t->etag.clear();
      t->last_modified.clear();
      t->rate = {};
      return size * n;
    }
    t->response_head.append(line).append("\r\n");  // the blank line that ends the head too
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return size * n;
    const std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    if (boost::algorithm::iequals(name, "location")) t->location = value;
    if (boost::algorithm::iequals(name, "content-type")) t->content_type = value;
    if (boost::algorithm::iequals(name, "etag")) t->etag = value;
    if (boost::algorithm::iequals(name, "last-modified")) t->last_modified = value;
    // Retry-After, and the rate-limit headers of Mastodon (X-RateLimit-*), X (x-rate-limit-*)
    // and Bluesky (RateLimit-*).
    if (boost::algorithm::iequals(name, "retry-after")) t->rate.retry_after = value;
    if (boost::algorithm::iequals(name, "x-ratelimit-reset") ||
        boost::algorithm::iequals(name, "x-rate-limit-reset") ||
        boost::algorithm::iequals(name, "ratelimit-reset")) {
      t->rate.reset = value;
    }
    if (boost::algorithm::iequals(name, "x-ratelimit-remaining") ||
        boost::algorithm::iequals(name, "x-rate-limit-remaining") ||
        boost::algorithm::iequals(name, "ratelimit-remaining")) {
      t->rate.remaining = value;
    }
    return size * n;
  }

  // The request head as sent (libcurl hands it to the debug callback, and only there).
  static int OnDebug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
    if (type == CURLINFO_HEADER_OUT) static_cast<Transfer*>(user)->request_head.assign(data, size);
    return 0;
  }

  // Refuses, before connecting, any address that is not public unicast, unless this request
  // was sent to a configured upstream and private upstreams are allowed.
  static curl_socket_t OnOpenSocket(void* user, curlsocktype purpose, curl_sockaddr* addr) {
    auto* t = static_cast<Transfer*>(user);
    const sockaddr* sa = &addr->addr;
    const bool proxied = !t->impl->options.proxy.empty();  // checked in Start()
    if (purpose == CURLSOCKTYPE_IPCXN && !proxied && !PublicAddress(sa) &&
        !(t->via_upstream && t->impl->PrivateAllowed(*t))) {
      t->refused_address = AddressText(sa);
      return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype, addr->protocol);
  }

  // The same check on every request, just before it is sent: a connection kept alive from an
  // allowed upstream request must not serve a request that is not one (a redirect to the same
  // address and port reuses the connection and never opens a socket).
  static int OnPrereq(void* user, char* primary_ip, char*, int, int) {
    auto* t = static_cast<Transfer*>(user);
    if (!t->impl->options.proxy.empty()) return CURL_PREREQFUNC_OK;  // checked in Start()
    if (!IsPublicIp(primary_ip) && !(t->via_upstream && t->impl->PrivateAllowed(*t))) {
      t->refused_address = primary_ip;
      return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
  }

  bool PrivateAllowed(const Transfer& t) const {
    return options.allow_private_upstreams || t.request.operator_destination;
  }

  // Starts one attempt of a transfer; false (and the callback has run) when it cannot start.
  bool Start(std::unique_ptr<Transfer> t) {
    auto target = options.upstreams.Resolve(t->current_url);
    if (!target) {
      Finish(std::move(t), target.error());
      return false;
    }
    // An operator's own destination (a webhook) is trusted like a configured upstream.
    t->via_upstream = target->rewritten || t->request.operator_destination;
    t->sent_to = target->rewritten ? target->url : std::string();
    const HttpLimits& l = options.limits;
    const bool media = t->request.kind == BodyKind::kImage || t->request.kind == BodyKind::kVideo;
    milliseconds timeout = media ? l.media_timeout : l.json_timeout;
    if (t->request.deadline != Clock::time_point{}) {
      const auto left =
          std::chrono::duration_cast<milliseconds>(t->request.deadline - Clock::now());
      if (left.count() <= 0) {
        Finish(std::move(t), DeadlineExceededError("out of time for " + Short(t->request.url) +
                                                   " (the post's time limit)"));
        return false;
      }
      timeout = std::min(timeout, left);
    }
    if (!options.proxy.empty() && !(t->via_upstream && PrivateAllowed(*t))) {
      if (std::string refused = RefusedDestination(target->url); !refused.empty()) {
        t->refused_address = std::move(refused);
        Finish(std::move(t),
               PermissionDeniedError("refused to request " + Short(t->current_url) + " (" +
                                     t->refused_address + " is not a public address)"));
        return false;
      }
    }
    t->attempts++;
    t->body.clear();
    t->body_bytes = 0;
    t->location.clear();
    t->content_type.clear();
    t->request_head.clear();
    t->response_head.clear();
    t->over_cap = false;
    t->amplified = false;
    t->spool_error.clear();
    t->refused_address.clear();
    t->cap = CapFor(t->request.kind);
    t->CloseSpool();
    if (media) {
      t->spool_fd = OpenSpool();
      if (t->spool_fd < 0) {
        Finish(std::move(t), InternalError(std::string("cannot create a spool file for media: ") +
                                           std::strerror(errno)));
        return false;
      }
    }
    t->easy.reset(curl_easy_init());
    if (!t->easy) {
      Finish(std::move(t), InternalError("libcurl cannot create a transfer (out of memory?)"));
      return false;
    }
    CURL* e = t->easy.get();
    curl_easy_setopt(e, CURLOPT_URL, target->url.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are ours: checked, rewritten
    curl_easy_setopt(e, CURLOPT_USERAGENT, options.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    // No proxy unless one was given: "" overrides http_proxy, HTTPS_PROXY, ALL_PROXY.
    curl_easy_setopt(e, CURLOPT_PROXY, options.proxy.c_str());
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(l.connect_timeout.count()));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(std::max<long long>(1, timeout.count())));
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, l.low_speed_bytes_per_second);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(l.low_speed_window.count()));
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(t->cap));
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // caps apply to the decoded bytes
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, &OnDebug);
    curl_easy_setopt(e, CURLOPT_DEBUGDATA, t.get());
    curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);  // only so that OnDebug sees the request head
    curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &OnOpenSocket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t.get());
    curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, &OnPrereq);
    curl_easy_setopt(e, CURLOPT_PREREQDATA, t.get());
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    if (!t->request.headers.empty() && !t->headers) {
      curl_slist* list = nullptr;
      for (const auto& h : t->request.headers) {
        curl_slist* next = curl_slist_append(list, h.c_str());
        if (next == nullptr) break;
        list = next;
      }
      t->headers.reset(list);
    }
    if (t->headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers.get());
    if (t->request.post_body) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->request.post_body->data());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(t->request.post_body->size()));
    }
    if (curl_multi_add_handle(multi.get(), e) != CURLM_OK) {
      t->easy.reset();
      Finish(std::move(t), InternalError("libcurl cannot start a transfer"));
      return false;
    }
    active.emplace(e, std::move(t));
    return true;
  }

  // Whether the limiter lets `t` start now (a token taken). If not, `t` waits for its host (back
  // in `waiting`, or null: finished because the host's circuit is open or the wait would pass
  // its deadline).
  bool Admitted(std::unique_ptr<Transfer>& t) {
    const std::string host = HostOf(t->current_url);
    const HostLimiter::Gate gate =
        options.limiter_paces ? options.limiter->Acquire(host) : options.limiter->Held(host);
    if (gate.verdict == HostLimiter::Verdict::kGo) return true;
    const auto left = std::chrono::duration_cast<milliseconds>(gate.until - Clock::now());
    if (gate.verdict == HostLimiter::Verdict::kOpen) {
      Finish(std::move(t), UnavailableError("not asking " + host + ": its circuit is open for " +
                                            std::to_string(left.count() / 1000 + 1) +
                                            " s more, after rate-limit answers in a row"));
      return false;
    }
    if (t->request.deadline != Clock::time_point{} && gate.until >= t->request.deadline) {
      Finish(std::move(t), DeadlineExceededError("out of time for " + Short(t->request.url) +
                                                 " waiting for " + host + "'s rate limit"));
      return false;
    }
    t->not_before = gate.until;
    waiting.push_back(std::move(t));
    return false;
  }

  // Ends every transfer, active or waiting, with "stopping".
  void CancelAll() {
    std::vector<std::unique_ptr<Transfer>> all;
    for (auto& [easy, t] : active) {
      curl_multi_remove_handle(multi.get(), easy);
      t->easy.reset();
      all.push_back(std::move(t));
    }
    active.clear();
    while (!waiting.empty()) {
      all.push_back(std::move(waiting.front()));
      waiting.pop_front();
    }
    for (auto& t : all) {
      Status stopping = UnavailableError("stopping: " + t->request.url);
      Finish(std::move(t), std::move(stopping));
    }
  }

  void Finish(std::unique_ptr<Transfer> t, Result<HttpResponse> result) {
    Callback done = std::move(t->done);
    t.reset();
    done(std::move(result));
  }

  milliseconds Backoff(int attempt) {
    const auto base = options.limits.backoff_base.count();
    const auto cap = options.limits.backoff_max.count();
    const auto exp = std::min<long long>(cap, base << std::min(attempt - 1, 20));
    // "Equal jitter": half fixed, half random, so retries of many transfers spread out.
    std::uniform_int_distribution<long long> jitter(0, exp / 2);
    return milliseconds(exp / 2 + jitter(rng));
  }

  void Retry(std::unique_ptr<Transfer> t, milliseconds delay) {
    t->not_before = Clock::now() + delay;
    if (t->request.deadline != Clock::time_point{} && t->not_before >= t->request.deadline) {
      Finish(std::move(t), DeadlineExceededError("out of time for " + Short(t->request.url) +
                                                 " (the post's time limit) after " +
                                                 std::to_string(t->attempts) + " attempts"));
      return;
    }
    waiting.push_back(std::move(t));
  }

  void Completed(CURL* e, CURLcode code) {
    auto it = active.find(e);
    std::unique_ptr<Transfer> t = std::move(it->second);
    active.erase(it);
    curl_multi_remove_handle(multi.get(), e);
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_off_t retry_after = 0;
    curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &retry_after);
    proto::HttpExchange wire = WireOf(e, *t, code);
    t->easy.reset();
    const std::string host = HostOf(t->current_url);

    if (!t->refused_address.empty()) {
      Finish(std::move(t),
             PermissionDeniedError("refused to connect to " + t->refused_address + " for " + host +
                                   ": not a public address (private upstreams need "
                                   "--allow-private-upstreams, and only through --upstream)"));
      return;
    }
    if (!t->spool_error.empty()) {
      Finish(std::move(t), InternalError(t->spool_error));
      return;
    }
    if (t->amplified) {
      Finish(std::move(t), ResourceExhaustedError(
                               std::string(KindName(t->request.kind)) + " from " + host +
                               " decodes to more than " +
                               std::to_string(static_cast<int>(options.limits.max_decoded_ratio)) +
                               " times the bytes sent (a compression bomb)"));
      return;
    }
    if (t->over_cap || code == CURLE_FILESIZE_EXCEEDED) {
      Finish(std::move(t),
             ResourceExhaustedError(std::string(KindName(t->request.kind)) + " from " + host +
                                    " is larger than the " + std::to_string(t->cap) + "-byte cap"));
      return;
    }
    detail::Attempt attempt;
    attempt.transport = code == CURLE_OK                   ? detail::Attempt::Transport::kOk
                        : code == CURLE_OPERATION_TIMEDOUT ? detail::Attempt::Transport::kTimedOut
                        : code == CURLE_PARTIAL_FILE       ? detail::Attempt::Transport::kCutShort
                        : code == CURLE_UNSUPPORTED_PROTOCOL || code == CURLE_URL_MALFORMAT
                            ? detail::Attempt::Transport::kBadUrl
                            : detail::Attempt::Transport::kOtherError;
    attempt.transport_error = curl_easy_strerror(code);
    attempt.status = status;
    attempt.location = t->location;
    attempt.retry_after_seconds = static_cast<long>(retry_after);
    if (options.limiter && code == CURLE_OK) {
      const milliseconds wait = options.limiter->Observe(host, status, t->rate);
      if (status == 429)
        attempt.retry_after_seconds = static_cast<long>((wait.count() + 999) / 1000);
    }
    attempt.url = t->current_url;
    attempt.request_url = t->request.url;
    attempt.attempts = t->attempts;
    attempt.redirects = t->redirects;
    const detail::Step step = detail::NextStep(attempt, options.limits, Backoff(t->attempts));
    switch (step.kind) {
      case detail::Step::Kind::kFail:
        return Finish(std::move(t), step.error);
      case detail::Step::Kind::kRedirect:
        t->current_url = step.next_url;
        t->redirects++;
        t->attempts--;  // a redirect is not a failed attempt
        return Retry(std::move(t), milliseconds(0));
      case detail::Step::Kind::kRetry:
        return Retry(std::move(t), step.delay);
      case detail::Step::Kind::kDeliver:
        break;
    }
    HttpResponse r;
    r.status = status;
    r.body = std::move(t->body);
    if (t->spool_fd >= 0 && status == 200) {
      auto spooled = SpooledBody::Map(t->spool_fd, static_cast<size_t>(t->body_bytes));
      t->spool_fd = -1;
      if (!spooled) return Finish(std::move(t), spooled.error());
      r.spooled = std::move(*spooled);
    }
    r.content_type = std::move(t->content_type);
    r.etag = std::move(t->etag);
    r.last_modified = std::move(t->last_modified);
    r.url = t->current_url;
    r.attempts = t->attempts;
    r.exchange = std::move(wire);
    Finish(std::move(t), std::move(r));
  }

  // What crossed the wire in the transfer's last attempt. libcurl reports a server's
  // certificates only on a new connection: a reused one gets the chain its host showed last.
  proto::HttpExchange WireOf(CURL* e, Transfer& t, CURLcode code) {
    proto::HttpExchange x;
    x.set_url(t.current_url);
    if (!t.sent_to.empty() && t.sent_to != t.current_url) x.set_sent_to(t.sent_to);
    x.set_request_head(t.request_head);
    x.set_response_head(t.response_head);
    char* ip = nullptr;
    if (curl_easy_getinfo(e, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip != nullptr) {
      x.set_remote_ip(ip);
    }
    long port = 0;
    if (curl_easy_getinfo(e, CURLINFO_PRIMARY_PORT, &port) == CURLE_OK && port > 0) {
      x.set_remote_port(static_cast<uint32_t>(port));
    }
    long version = 0;
    curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
    switch (version) {
      case CURL_HTTP_VERSION_1_0:
        x.set_http_version("1.0");
        break;
      case CURL_HTTP_VERSION_1_1:
        x.set_http_version("1.1");
        break;
      case CURL_HTTP_VERSION_2_0:
        x.set_http_version("2");
        break;
      case CURL_HTTP_VERSION_3:
        x.set_http_version("3");
        break;
      default:
        break;
    }
    *x.mutable_answered_at() = proto::TimestampOf(NowMicros());
    std::string scheme;
    if (char* s = nullptr; curl_easy_getinfo(e, CURLINFO_SCHEME, &s) == CURLE_OK && s != nullptr) {
      scheme = s;
    }
    if (boost::algorithm::iequals(scheme, "https")) {
      std::vector<std::string> chain;
      curl_certinfo* info = nullptr;
      if (curl_easy_getinfo(e, CURLINFO_CERTINFO, &info) == CURLE_OK && info != nullptr) {
        for (int i = 0; i < info->num_of_certs; ++i) {
          for (curl_slist* f = info->certinfo[i]; f != nullptr; f = f->next) {
            const std::string_view field(f->data);
            if (field.rfind("Cert:", 0) != 0) continue;
            for (auto& der : PemCertificatesToDer(field.substr(5))) chain.push_back(std::move(der));
          }
        }
      }
      const std::string host = HostOf(t.current_url);
      if (!chain.empty()) {
        chains[host] = chain;
      } else if (auto known = chains.find(host); known != chains.end()) {
        chain = known->second;
      }
      for (auto& der : chain) x.add_tls_chain(std::move(der));
      long verify = -1;
      curl_easy_getinfo(e, CURLINFO_SSL_VERIFYRESULT, &verify);
      x.set_tls_verified(code == CURLE_OK && verify == 0);
    }
    return x;
  }
};

HttpClient::HttpClient(HttpOptions options) : impl_(std::make_unique<Impl>()) {
  GlobalInit();
  impl_->options = std::move(options);
  if (impl_->options.user_agent.empty()) impl_->options.user_agent = DefaultUserAgent();
  impl_->multi.reset(curl_multi_init());
  if (!impl_->multi) return;  // Run() fails every request
  CURLM* m = impl_->multi.get();
  curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                    static_cast<long>(impl_->options.limits.max_connections));
  curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS,
                    static_cast<long>(impl_->options.limits.max_connections_per_host));
  curl_multi_setopt(m, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
}

// Transfers still active are removed from the multi handle and freed by their own destructors.
HttpClient::~HttpClient() = default;

const HttpOptions& HttpClient::options() const { return impl_->options; }

void HttpClient::Add(HttpRequest request, Callback done) {
  auto t = std::make_unique<Impl::Transfer>();
  t->impl = impl_.get();
  t->current_url = request.url;
  t->request = std::move(request);
  t->done = std::move(done);
  impl_->waiting.push_back(std::move(t));
}

void HttpClient::Run() {
  Impl& im = *impl_;
  // Transfers in flight are capped so that a large batch does not hold every body in memory at
  // once; curl queues what is beyond its connection limits anyway.
  const size_t max_active = static_cast<size_t>(im.options.limits.max_connections) * 4;
  if (!im.multi) {
    while (!im.waiting.empty()) {
      std::unique_ptr<Impl::Transfer> t = std::move(im.waiting.front());
      im.waiting.pop_front();
      im.Finish(std::move(t), InternalError("libcurl cannot create a transfer set"));
    }
    return;
  }
  while (!im.waiting.empty() || !im.active.empty()) {
    if (im.options.cancel != nullptr && im.options.cancel->load()) {
      im.CancelAll();
      continue;  // callbacks may have added requests: they are cancelled too
    }
    const auto now = Clock::now();
    for (size_t n = im.waiting.size(); n > 0 && im.active.size() < max_active; --n) {
      std::unique_ptr<Impl::Transfer> t = std::move(im.waiting.front());
      im.waiting.pop_front();
      if (t->not_before > now) {
        im.waiting.push_back(std::move(t));
        continue;
      }
      if (im.options.limiter && !im.Admitted(t)) continue;
      im.Start(std::move(t));
    }
    int running = 0;
    curl_multi_perform(im.multi.get(), &running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(im.multi.get(), &queued)) {
      if (msg->msg == CURLMSG_DONE) im.Completed(msg->easy_handle, msg->data.result);
    }
    // Sleep until curl has something to do or the next retry is due.
    milliseconds wait(kIdlePollMs);
    const auto later = Clock::now();
    for (const auto& t : im.waiting) {
      if (im.active.size() >= max_active) break;
      wait =
          std::min(wait, std::max(milliseconds(0),
                                  std::chrono::duration_cast<milliseconds>(t->not_before - later)));
    }
    if (wait.count() > 0 && (!im.active.empty() || !im.waiting.empty())) {
      curl_multi_poll(im.multi.get(), nullptr, 0, static_cast<int>(wait.count()), nullptr);
    }
  }
}

}  // namespace stillpost::fetcher
