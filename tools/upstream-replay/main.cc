// upstream-replay: recorded upstream answers for tests and the demo, on loopback only.
//   upstream-replay --root DIR [--listen 127.0.0.1:0]
// Prints "listening on http://127.0.0.1:PORT" as its first line. Layout, admin routes and
// faults: tools/upstream-replay/README.md.
#include <zlib.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <chrono>
#include <csignal>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>

#include "common/time.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

constexpr size_t kMaxRequestBody = 1 << 20;
constexpr auto kHangFor = std::chrono::minutes(10);
constexpr uint64_t kDefaultOversizeBytes = 64ull << 20;
// Query parameters that name the answer of a query-keyed endpoint, in the order tried.
constexpr const char* kKeyParams[] = {"id", "uri", "url", "handle", "cid", "q"};

// What a request maps to: the file of the answer, found by host, path and key parameter.
struct Target {
  fs::path file;
  std::string key;  // the canonical key of this answer, for gone/fault/hits bookkeeping
};

std::string Sanitize(std::string s) {
  for (char& c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == ':';
    if (!ok) c = '_';
  }
  return s;
}

std::string LastSegment(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  const size_t slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

// "/HOST/PATH?Q" (a request through --upstream '*=BASE') to the file that answers it.
std::optional<Target> Resolve(const fs::path& root, std::string_view target) {
  auto u = boost::urls::parse_origin_form(target);
  if (!u) return std::nullopt;
  std::string path = u->path();  // decoded
  if (path.find("..") != std::string::npos || path.find('\0') != std::string::npos)
    return std::nullopt;
  while (!path.empty() && path.front() == '/') path.erase(path.begin());
  if (path.empty()) return std::nullopt;
  fs::path file = root / path;
  std::error_code ec;
  if (fs::is_directory(file, ec)) {
    for (const char* name : kKeyParams) {
      auto it = u->params().find(name);
      if (it == u->params().end()) continue;
      std::string value = (*it).value;
      if (std::string_view(name) == "url" || std::string_view(name) == "uri")
        value = LastSegment(value);
      fs::path keyed = file / (Sanitize(value) + ".json");
      if (!fs::is_regular_file(keyed, ec)) keyed = file / Sanitize(value);  // a blob by CID
      return Target{keyed, path + "?" + name + "=" + Sanitize(value)};
    }
    return std::nullopt;
  }
  // A JSON answer at a path without an extension (/api/v1/statuses/ID) is kept as ID.json.
  if (!fs::is_regular_file(file, ec)) {
    fs::path json = file;
    json += ".json";
    if (fs::is_regular_file(json, ec)) return Target{json, path};
  }
  return Target{file, path};
}

// The key an admin route names by its upstream URL (https://HOST/PATH?Q).
std::optional<Target> ResolveUpstreamUrl(const fs::path& root, std::string_view url) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return std::nullopt;
  std::string target = "/" + std::string(u->host()) + std::string(u->encoded_path());
  if (u->has_query()) target += "?" + std::string(u->encoded_query());
  return Resolve(root, target);
}

std::string ContentType(const fs::path& file, std::string_view head) {
  const std::string ext = file.extension().string();
  if (ext == ".json") return "application/json; charset=utf-8";
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".xml" || ext == ".rss" || ext == ".atom") return "application/xml";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".png") return "image/png";
  if (ext == ".gif") return "image/gif";
  if (ext == ".webp") return "image/webp";
  if (ext == ".mp4") return "video/mp4";
  if (ext == ".m3u8") return "application/x-mpegURL";
  if (head.size() >= 3 && head.substr(0, 3) == "\xFF\xD8\xFF") return "image/jpeg";
  if (head.size() >= 4 && head.substr(0, 4) == "\x89PNG") return "image/png";
  if (head.size() >= 4 && head.substr(0, 4) == "GIF8") return "image/gif";
  if (head.size() >= 12 && head.substr(8, 4) == "WEBP") return "image/webp";
  if (head.size() >= 8 && head.substr(4, 4) == "ftyp") return "video/mp4";
  return "application/octet-stream";
}

struct Fault {
  std::string kind;   // latency, 429, 500, truncate, oversize, hang
  int remaining = 1;  // 0: every request
  long ms = 0;
  long retry_after = 1;
  uint64_t bytes = kDefaultOversizeBytes;
  std::string to;  // redirect: the Location
  std::string as;  // 429: whose headers (mastodon, bluesky, x; else Retry-After)
};

// A host's limit, enforced by the replay as the platform would: a fixed window of `per_ms`
// allowing `requests`; beyond it, 429 with the platform's headers (`as`).
struct HostLimit {
  long requests = 300;
  long per_ms = 300'000;
  std::string as = "mastodon";
  int64_t window_start = 0;
  long used = 0;
  uint64_t allowed = 0;
  uint64_t limited = 0;
  uint64_t limited_after_first = 0;  // 429s to a client that had been told to wait already
  int64_t told_until = 0;            // the reset the last 429 named
};

class JetstreamSession;

// Shared state of the admin routes.
struct State {
  fs::path root;
  std::mutex mu;
  std::map<std::string, std::string> gone;  // key -> 404 | empty | tombstone
  std::map<std::string, Fault> faults;
  std::map<std::string, long> hits;
  std::map<std::string, long> not_modified;  // conditional GETs answered 304
  std::map<std::string, HostLimit> limits;   // by host
  // Every request: when (Unix ms), its host, path and status (the newest 200,000).
  struct Line {
    int64_t ms;
    std::string host, target;
    int status;
  };
  std::deque<Line> log;
  // Webhook deliveries received at /_hooks/NAME, and how many of the next ones fail with 500.
  boost::json::array webhooks;
  long webhook_failures = 0;
  // Jetstream: every event pushed (for cursors), the subscribers now and every target asked.
  std::vector<std::pair<int64_t, std::string>> events;
  std::vector<std::weak_ptr<JetstreamSession>> subscribers;
  boost::json::array subscriptions;
  // --synthetic SUFFIX: Mastodon statuses for any HOST ending in SUFFIX, made up from the id.
  std::string synthetic_suffix;
  std::string synthetic_avatar;  // the bytes of every synthetic account's avatar
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The host of "/HOST/PATH" (a request through --upstream '*=BASE').
std::string HostOfTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') return "";
  target.remove_prefix(1);
  return std::string(target.substr(0, target.find_first_of("/?")));
}

std::string Param(const boost::urls::url_view& u, const char* name) {
  auto it = u.params().find(name);
  return it == u.params().end() ? "" : std::string((*it).value);
}

using Response = http::response<http::string_body>;

Response Make(http::status status, std::string body, std::string type = "application/json") {
  Response r{status, 11};
  r.set(http::field::server, "upstream-replay");
  r.set(http::field::content_type, type);
  r.body() = std::move(body);
  r.prepare_payload();
  return r;
}

// `bytes` zero bytes, gzip-compressed: a compression bomb (about 1000:1).
std::string GzipZeros(uint64_t bytes) {
  z_stream z{};
  deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  const std::string chunk(1 << 16, '\0');
  std::string out;
  char buf[1 << 16];
  uint64_t left = bytes;
  int flush = Z_NO_FLUSH;
  do {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
    left -= n;
    flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(chunk.data()));
    z.avail_in = static_cast<uInt>(n);
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      deflate(&z, flush);
      out.append(buf, sizeof buf - z.avail_out);
    } while (z.avail_out == 0);
  } while (flush != Z_FINISH);
  deflateEnd(&z);
  return out;
}

// A 429 as each platform sends it, asking to come back in `seconds`: Mastodon's X-RateLimit-*
// (an ISO 8601 reset, no Retry-After), Bluesky's RateLimit-* (a Unix-seconds reset and a
// policy), X's x-rate-limit-* (Unix seconds), or a bare Retry-After.
Response RateLimited(const std::string& as, long seconds, long limit) {
  struct HeaderSet {
    const char* as;
    const char* body;
    const char* limit;
    const char* remaining;
    const char* reset;
    bool iso_reset;  // an RFC 3339 time (Mastodon), else Unix seconds
    const char* policy;
  };
  static constexpr HeaderSet kSets[] = {
      {"mastodon", R"({"error":"Too many requests"})", "X-RateLimit-Limit", "X-RateLimit-Remaining",
       "X-RateLimit-Reset", true, nullptr},
      {"bluesky", R"({"error":"RateLimitExceeded","message":"Rate Limit Exceeded"})",
       "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", false, "RateLimit-Policy"},
      {"x", R"({"errors":[{"code":88,"message":"Rate limit exceeded"}]})", "x-rate-limit-limit",
       "x-rate-limit-remaining", "x-rate-limit-reset", false, nullptr},
  };
  const int64_t reset_ms = NowMs() + seconds * 1000;
  for (const HeaderSet& h : kSets) {
    if (as != h.as) continue;
    Response r = Make(http::status::too_many_requests, h.body);
    r.set(h.limit, std::to_string(limit));
    r.set(h.remaining, "0");
    r.set(h.reset, h.iso_reset ? stillpost::FormatRfc3339(reset_ms * 1000)
                               : std::to_string((reset_ms + 999) / 1000));
    if (h.policy != nullptr) r.set(h.policy, std::to_string(limit) + ";w=300");
    return r;
  }
  Response r = Make(http::status::too_many_requests, R"({"error":"rate limited"})");
  r.set(http::field::retry_after, std::to_string(seconds));
  return r;
}

// A Mastodon status made up from its id, for --synthetic hosts (bench/recheck).
std::string SyntheticStatus(const std::string& host, const std::string& id) {
  boost::json::object account{{"id", "1"},
                              {"username", "sim"},
                              {"acct", "sim"},
                              {"display_name", "Simulated " + host},
                              {"url", "https://" + host + "/@sim"},
                              {"avatar", "https://" + host + "/avatars/sim.png"},
                              {"avatar_static", "https://" + host + "/avatars/sim.png"},
                              {"emojis", boost::json::array()},
                              {"bot", false}};
  boost::json::object o{{"id", id},
                        {"created_at", "2025-06-01T12:00:00.000Z"},
                        {"uri", "https://" + host + "/users/sim/statuses/" + id},
                        {"url", "https://" + host + "/@sim/" + id},
                        {"content", "<p>Simulated post " + id + " on " + host + "</p>"},
                        {"spoiler_text", ""},
                        {"sensitive", false},
                        {"visibility", "public"},
                        {"language", "en"},
                        {"replies_count", 0},
                        {"reblogs_count", 0},
                        {"favourites_count", 0},
                        {"edited_at", nullptr},
                        {"reblog", nullptr},
                        {"card", nullptr},
                        {"poll", nullptr},
                        {"account", std::move(account)},
                        {"media_attachments", boost::json::array()},
                        {"mentions", boost::json::array()},
                        {"tags", boost::json::array()},
                        {"emojis", boost::json::array()}};
  return boost::json::serialize(o);
}

// What the session should do with a request.
struct Plan {
  Response response;
  long delay_ms = 0;
  bool hang = false;
  bool truncate = false;  // send the headers and half the body, then close
  uint64_t oversize = 0;  // send this many bytes of body
};

// A request for a host of its own (a browser that resolves publisher.example to this replay) is
// answered from that host's tree: "/news/a.html" with Host publisher.example is
// "/publisher.example/news/a.html". Requests to the replay's own address are as recorded.
std::string TargetOf(const http::request<http::string_body>& req) {
  std::string target(req.target());
  std::string host(req[http::field::host]);
  if (const size_t colon = host.rfind(':'); colon != std::string::npos && host.back() != ']') {
    host.resize(colon);
  }
  if (!host.empty() && host != "127.0.0.1" && host != "localhost" && host != "[::1]" &&
      host.find('/') == std::string::npos && host.find("..") == std::string::npos) {
    target = "/" + host + target;
  }
  return target;
}

// A Jetstream subscriber (/HOST/subscribe as a websocket): the events pushed with POST
// /_replay/jetstream whose DID it wants, those at or after its cursor first.
class JetstreamSession : public std::enable_shared_from_this<JetstreamSession> {
 public:
  JetstreamSession(beast::tcp_stream stream, State& state)
      : ws_(std::move(stream)), state_(state) {}

  void Start(http::request<http::string_body> req) {
    auto u = boost::urls::parse_origin_form(req.target());
    if (u) {
      for (const auto& p : u->params()) {
        if (p.key == "wantedDids") dids_.insert(std::string(p.value));
        if (p.key == "cursor") cursor_ = std::atoll(std::string(p.value).c_str());
      }
    }
    ws_.async_accept(
        req, [self = shared_from_this(), target = std::string(req.target())](beast::error_code ec) {
          if (ec) return;
          std::vector<std::string> backlog;
          {
            std::lock_guard<std::mutex> lock(self->state_.mu);
            self->state_.subscribers.push_back(self);
            self->state_.subscriptions.push_back(
                boost::json::object{{"target", target}, {"ms", NowMs()}});
            if (self->cursor_ > 0) {
              for (const auto& [t, text] : self->state_.events) {
                if (t >= self->cursor_) backlog.push_back(text);
              }
            }
          }
          for (auto& text : backlog) self->SendIfWanted(std::move(text));
          self->Read();
        });
  }

  // Queues the event when its DID is wanted (every DID when none was named).
  void SendIfWanted(std::string text) {
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) return;
    const auto* did = v.as_object().if_contains("did");
    if (!dids_.empty() &&
        (did == nullptr || !did->is_string() || !dids_.contains(std::string(did->as_string())))) {
      return;
    }
    queue_.push_back(std::move(text));
    if (queue_.size() == 1) Write();
  }

 private:
  void Read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return;  // closed: the session ends with its last handler
      self->buffer_.consume(self->buffer_.size());
      self->Read();
    });
  }
  void Write() {
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front()),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      if (ec) return;
                      self->queue_.pop_front();
                      if (!self->queue_.empty()) self->Write();
                    });
  }

  beast::websocket::stream<beast::tcp_stream> ws_;
  State& state_;
  beast::flat_buffer buffer_;
  std::set<std::string> dids_;
  long long cursor_ = 0;
  std::deque<std::string> queue_;
};

// POST /_replay/jetstream: one event (Jetstream's JSON) to every subscriber that wants it; kept
// for subscribers that come later with a cursor. st.mu is held.
Response PushJetstream(State& st, const std::string& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object())
    return Make(http::status::bad_request, R"({"error":"not a JSON event"})");
  int64_t t = 0;
  if (const auto* tu = v.as_object().if_contains("time_us"); tu != nullptr && tu->is_int64()) {
    t = tu->as_int64();
  }
  st.events.emplace_back(t, body);
  std::vector<std::shared_ptr<JetstreamSession>> live;
  for (auto& w : st.subscribers) {
    if (auto s = w.lock()) live.push_back(std::move(s));
  }
  st.subscribers.clear();
  for (auto& s : live) st.subscribers.push_back(s);
  for (auto& s : live) s->SendIfWanted(body);
  return Make(http::status::ok, "{\"subscribers\":" + std::to_string(live.size()) + "}");
}

// Bluesky's getPosts (?uris=...&uris=...), answered from the recorded getPostThread answers:
// each post's view (thread.post), in the order asked, leaving out posts marked gone or not
// recorded, as the AppView leaves out deleted and hidden posts.
Response GetPosts(State& st, const boost::urls::url_view& u, const std::string& host) {
  boost::json::array posts;
  std::lock_guard<std::mutex> lock(st.mu);
  const std::string key = host + "/xrpc/app.bsky.feed.getPosts";
  st.hits[key]++;
  if (auto f = st.faults.find(key); f != st.faults.end() && f->second.kind == "429") {
    const Fault fault = f->second;
    if (f->second.remaining > 0 && --f->second.remaining == 0) st.faults.erase(f);
    return RateLimited(fault.as, fault.retry_after, 3000);
  }
  for (const auto& p : u.params()) {
    if (p.key != "uris") continue;
    const std::string rkey = Sanitize(LastSegment(std::string(p.value)));
    if (st.gone.contains(host + "/xrpc/app.bsky.feed.getPostThread?uri=" + rkey)) continue;
    std::ifstream in(st.root / host / "xrpc" / "app.bsky.feed.getPostThread" / (rkey + ".json"));
    if (!in) continue;
    std::ostringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text.str(), ec);
    if (ec || !v.is_object()) continue;
    const auto* thread = v.as_object().if_contains("thread");
    const auto* post = thread != nullptr && thread->is_object()
                           ? thread->as_object().if_contains("post")
                           : nullptr;
    if (post != nullptr) posts.push_back(*post);
  }
  return Make(http::status::ok, boost::json::serialize(boost::json::object{{"posts", posts}}));
}

// Admin routes that name no recorded answer: host limits, the request log, webhooks received,
// Jetstream events.
Response Admin(State& st, const http::request<http::string_body>& req,
               const boost::urls::url_view& u, const std::string& path) {
  namespace json = boost::json;
  const bool post = req.method() == http::verb::post;
  std::lock_guard<std::mutex> lock(st.mu);
  if (path == "/_replay/limit" && post) {
    const std::string host = Param(u, "host");
    const std::string requests = Param(u, "requests"), per = Param(u, "per");
    if (host.empty() || requests.empty() || per.empty() ||
        requests.find_first_not_of("0123456789") != std::string::npos ||
        per.find_first_not_of("0123456789") != std::string::npos) {
      return Make(http::status::bad_request,
                  R"({"error":"limit takes host, requests and per (seconds), all given"})");
    }
    HostLimit l;
    l.requests = std::atol(requests.c_str());
    l.per_ms = std::atol(per.c_str()) * 1000;
    if (auto as = Param(u, "as"); !as.empty()) l.as = as;
    l.window_start = NowMs();
    st.limits[host] = l;
    return Make(http::status::ok, R"({"ok":true})");
  }
  if (path == "/_replay/limits") {
    json::object o;
    for (const auto& [host, l] : st.limits) {
      o[host] = json::object{{"requests", l.requests},
                             {"per_seconds", l.per_ms / 1000},
                             {"allowed", l.allowed},
                             {"limited", l.limited},
                             {"limited_after_first", l.limited_after_first}};
    }
    return Make(http::status::ok, json::serialize(o));
  }
  if (path == "/_replay/log") {
    const std::string host = Param(u, "host");
    json::array a;
    for (const auto& line : st.log) {
      if (!host.empty() && line.host != host) continue;
      a.push_back(json::object{{"ms", line.ms}, {"target", line.target}, {"status", line.status}});
    }
    return Make(http::status::ok, json::serialize(a));
  }
  if (path == "/_replay/webhooks") return Make(http::status::ok, json::serialize(st.webhooks));
  if (path == "/_replay/webhook-fail" && post) {
    st.webhook_failures = std::atol(Param(u, "times").c_str());
    return Make(http::status::ok, R"({"ok":true})");
  }
  if (path == "/_replay/jetstream/subscriptions") {
    return Make(http::status::ok, json::serialize(st.subscriptions));
  }
  if (path == "/_replay/jetstream" && post) return PushJetstream(st, req.body());
  return Make(http::status::not_found, R"({"error":"unknown admin route"})");
}

Plan Handle(State& st, const http::request<http::string_body>& req) {
  const std::string target = TargetOf(req);
  auto u = boost::urls::parse_origin_form(target);
  if (!u) return {Make(http::status::bad_request, R"({"error":"bad target"})")};
  const std::string path = u->path();
  if (path.rfind("/_replay/", 0) == 0 && path != "/_replay/gone" && path != "/_replay/restore" &&
      path != "/_replay/fault" && path != "/_replay/hits") {
    return {Admin(st, req, *u, path)};
  }
  if (path.rfind("/_hooks/", 0) == 0) {
    if (req.method() != http::verb::post) return {Make(http::status::method_not_allowed, "{}")};
    std::lock_guard<std::mutex> lock(st.mu);
    boost::json::object hook{{"path", path},
                             {"ms", NowMs()},
                             {"signature", std::string(req["X-Stillpost-Signature"])},
                             {"event", std::string(req["X-Stillpost-Event"])},
                             {"content_type", std::string(req[http::field::content_type])},
                             {"body", req.body()}};
    if (st.webhook_failures > 0) {
      --st.webhook_failures;
      hook["answered"] = 500;
      st.webhooks.push_back(std::move(hook));
      return {Make(http::status::internal_server_error, R"({"error":"down"})")};
    }
    hook["answered"] = 204;
    st.webhooks.push_back(std::move(hook));
    return {Make(http::status::no_content, "")};
  }
  if (path.rfind("/_replay/", 0) == 0) {
    const std::string url = Param(*u, "url");
    auto t = ResolveUpstreamUrl(st.root, url);
    if (!t) return {Make(http::status::bad_request, R"({"error":"url names no recorded answer"})")};
    std::lock_guard<std::mutex> lock(st.mu);
    if (path == "/_replay/hits") {
      return {Make(http::status::ok,
                   "{\"hits\":" + std::to_string(st.hits[t->key]) +
                       ",\"not_modified\":" + std::to_string(st.not_modified[t->key]) + "}")};
    }
    if (req.method() != http::verb::post) {
      return {Make(http::status::method_not_allowed, R"({"error":"POST"})")};
    }
    if (path == "/_replay/gone") {
      std::string as = Param(*u, "as");
      if (as.empty()) as = "404";
      if (as != "404" && as != "410" && as != "empty" && as != "tombstone" &&
          as != "xrpc-notfound" && as != "notfoundpost") {
        return {
            Make(http::status::bad_request,
                 R"({"error":"as is 404, 410, empty, tombstone, xrpc-notfound or notfoundpost"})")};
      }
      st.gone[t->key] = as;
    } else if (path == "/_replay/restore") {
      st.gone.erase(t->key);
      st.faults.erase(t->key);
    } else if (path == "/_replay/fault") {
      Fault f;
      f.kind = Param(*u, "kind");
      if (f.kind != "latency" && f.kind != "429" && f.kind != "500" && f.kind != "truncate" &&
          f.kind != "oversize" && f.kind != "hang" && f.kind != "redirect" &&
          f.kind != "gzipbomb") {
        return {Make(http::status::bad_request,
                     R"({"error":"kind is latency, 429, 500, truncate, oversize, hang, )"
                     R"(redirect or gzipbomb"})")};
      }
      f.to = Param(*u, "to");
      f.as = Param(*u, "as");
      if (auto v = Param(*u, "times"); !v.empty()) f.remaining = std::stoi(v);
      if (auto v = Param(*u, "ms"); !v.empty()) f.ms = std::stol(v);
      if (auto v = Param(*u, "retry_after"); !v.empty()) f.retry_after = std::stol(v);
      if (auto v = Param(*u, "bytes"); !v.empty()) f.bytes = std::stoull(v);
      st.faults[t->key] = f;
    } else {
      return {Make(http::status::not_found, R"({"error":"unknown admin route"})")};
    }
    return {Make(http::status::ok, R"({"ok":true})")};
  }

  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    return {Make(http::status::method_not_allowed, R"({"error":"GET"})")};
  }
  const std::string host = HostOfTarget(target);
  {
    std::lock_guard<std::mutex> lock(st.mu);
    if (auto l = st.limits.find(host); l != st.limits.end()) {
      HostLimit& lim = l->second;
      const int64_t now = NowMs();
      if (now - lim.window_start >= lim.per_ms) {
        lim.window_start = now;
        lim.used = 0;
      }
      if (lim.used >= lim.requests) {
        lim.limited++;
        if (lim.told_until > 0 && now < lim.told_until) lim.limited_after_first++;
        const long left = static_cast<long>((lim.window_start + lim.per_ms - now + 999) / 1000);
        lim.told_until = lim.window_start + lim.per_ms;
        return {RateLimited(lim.as, left, lim.requests)};
      }
      lim.used++;
      lim.allowed++;
    }
  }
  if (!st.synthetic_suffix.empty() && host.ends_with(st.synthetic_suffix)) {
    const std::string prefix = "/" + host + "/api/v1/statuses/";
    std::lock_guard<std::mutex> lock(st.mu);
    if (path.rfind(prefix, 0) == 0) {
      const std::string key = path.substr(1);
      st.hits[key]++;
      if (auto g = st.gone.find(key); g != st.gone.end()) {
        return {Make(http::status::not_found, R"({"error":"Record not found"})")};
      }
      return {Make(http::status::ok, SyntheticStatus(host, path.substr(prefix.size())))};
    }
    if (path == "/" + host + "/avatars/sim.png") {
      return {Make(http::status::ok, st.synthetic_avatar, "image/png")};
    }
  }
  if (path.ends_with("/xrpc/app.bsky.feed.getPosts")) return {GetPosts(st, *u, host)};
  auto t = Resolve(st.root, target);
  Plan plan;
  std::string gone;
  std::optional<Fault> fault;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    if (t) {
      st.hits[t->key]++;
      if (auto g = st.gone.find(t->key); g != st.gone.end()) gone = g->second;
      if (auto f = st.faults.find(t->key); f != st.faults.end()) {
        fault = f->second;
        if (f->second.remaining > 0 && --f->second.remaining == 0) st.faults.erase(f);
      }
    }
  }
  if (fault) {
    if (fault->kind == "429") return {RateLimited(fault->as, fault->retry_after, 300)};
    if (fault->kind == "500")
      return {Make(http::status::internal_server_error, R"({"error":"boom"})")};
    if (fault->kind == "redirect") {
      Response r = Make(http::status::found, "");
      r.set(http::field::location, fault->to);
      return {std::move(r)};
    }
    if (fault->kind == "hang") {
      plan.hang = true;
      return plan;
    }
    if (fault->kind == "gzipbomb") {
      Response r = Make(http::status::ok, GzipZeros(fault->bytes), "application/octet-stream");
      r.set(http::field::content_encoding, "gzip");
      return {std::move(r)};
    }
    if (fault->kind == "latency") plan.delay_ms = fault->ms;
    if (fault->kind == "oversize") plan.oversize = fault->bytes;
    if (fault->kind == "truncate") plan.truncate = true;
  }
  if (gone == "404") {
    plan.response = Make(http::status::not_found, R"({"error":"Record not found"})");
    return plan;
  }
  if (gone == "410") {
    plan.response = Make(http::status::gone, R"({"error":"Gone"})");
    return plan;
  }
  if (gone == "xrpc-notfound") {
    plan.response =
        Make(http::status::bad_request, R"({"error":"NotFound","message":"Post not found"})");
    return plan;
  }
  if (gone == "notfoundpost") {
    plan.response = Make(
        http::status::ok,
        R"({"thread":{"$type":"app.bsky.feed.defs#notFoundPost","uri":"at://deleted","notFound":true}})");
    return plan;
  }
  if (gone == "empty") {
    plan.response = Make(http::status::ok, "{}");
    return plan;
  }
  if (gone == "tombstone") {
    plan.response = Make(
        http::status::ok,
        R"({"__typename":"TweetTombstone","tombstone":{"text":{"text":"This Post was deleted by the Post author. Learn more","entities":[],"rtl":false}}})");
    return plan;
  }
  std::error_code ec;
  if (!t || !fs::is_regular_file(t->file, ec)) {
    plan.response = Make(http::status::not_found, R"({"error":"no recorded answer"})");
    return plan;
  }
  std::ifstream in(t->file, std::ios::binary);
  std::ostringstream body;
  body << in.rdbuf();
  std::string data = body.str();
  const std::string type = ContentType(t->file, std::string_view(data).substr(0, 16));
  // Validators as a real server sends them, so conditional GETs can be tested: an ETag from the
  // bytes, and one fixed Last-Modified for every recorded file.
  char etag[32];
  std::snprintf(etag, sizeof etag, "\"%016zx\"", std::hash<std::string>{}(data));
  constexpr const char* kLastModified = "Thu, 01 Jan 2026 00:00:00 GMT";
  const std::string inm(req[http::field::if_none_match]);
  const std::string ims(req[http::field::if_modified_since]);
  if ((!inm.empty() && inm == etag) || (inm.empty() && ims == kLastModified)) {
    {
      std::lock_guard<std::mutex> lock(st.mu);
      st.not_modified[t->key]++;
    }
    plan.response = Make(http::status::not_modified, "", type);
  } else {
    plan.response = Make(http::status::ok, std::move(data), type);
  }
  plan.response.set(http::field::etag, etag);
  plan.response.set(http::field::last_modified, kLastModified);
  return plan;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, State& state)
      : stream_(std::move(socket)), state_(state), timer_(stream_.get_executor()) {}

  void Start() { Read(); }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(kMaxRequestBody);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->Close();
                       self->OnRequest(self->parser_->release());
                     });
  }

  void OnRequest(http::request<http::string_body> req) {
    if (beast::websocket::is_upgrade(req) &&
        std::string_view(req.target()).substr(0, req.target().find('?')).ends_with("/subscribe")) {
      std::make_shared<JetstreamSession>(std::move(stream_), state_)->Start(std::move(req));
      return;
    }
    plan_ = Handle(state_, req);
    {
      std::lock_guard<std::mutex> lock(state_.mu);
      const std::string target = TargetOf(req);
      state_.log.push_back(
          {NowMs(), HostOfTarget(target), target, static_cast<int>(plan_.response.result_int())});
      if (state_.log.size() > 200'000) state_.log.pop_front();
    }
    keep_alive_ = req.keep_alive();
    head_ = req.method() == http::verb::head;
    if (plan_.hang) {
      timer_.expires_after(kHangFor);
      timer_.async_wait([self = shared_from_this()](beast::error_code) { self->Close(); });
      // Notice the client giving up: a read that fails closes the connection.
      stream_.socket().async_wait(
          tcp::socket::wait_read,
          [self = shared_from_this()](beast::error_code) { self->timer_.cancel(); });
      return;
    }
    timer_.expires_after(std::chrono::milliseconds(plan_.delay_ms));
    timer_.async_wait([self = shared_from_this()](beast::error_code) { self->Respond(); });
  }

  void Respond() {
    auto self = shared_from_this();
    if (plan_.truncate || plan_.oversize > 0) {
      // Written by hand: a Content-Length the body does not keep.
      std::string& body = plan_.response.body();
      const uint64_t length = plan_.oversize > 0 ? plan_.oversize : body.size();
      raw_ = "HTTP/1.1 200 OK\r\nContent-Type: " +
             std::string(plan_.response[http::field::content_type]) +
             "\r\nContent-Length: " + std::to_string(length) + "\r\nConnection: close\r\n\r\n";
      if (plan_.truncate) {
        raw_ += body.substr(0, body.size() / 2);
      } else {
        raw_.append(static_cast<size_t>(std::min<uint64_t>(length, 8ull << 20)), 'x');
      }
      asio::async_write(stream_, asio::buffer(raw_),
                        [self](beast::error_code, size_t) { self->Close(); });
      return;
    }
    plan_.response.keep_alive(keep_alive_);
    if (head_) plan_.response.body().clear();
    http::async_write(stream_, plan_.response, [self](beast::error_code ec, size_t) {
      if (ec || !self->keep_alive_) return self->Close();
      self->Read();
    });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  State& state_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Plan plan_;
  bool keep_alive_ = false;
  bool head_ = false;
  std::string raw_;
};

void Accept(tcp::acceptor& acceptor, State& state) {
  acceptor.async_accept([&acceptor, &state](beast::error_code ec, tcp::socket socket) {
    if (!ec) std::make_shared<Session>(std::move(socket), state)->Start();
    if (acceptor.is_open()) Accept(acceptor, state);
  });
}

int Usage(const std::string& why) {
  std::cerr << "upstream-replay: " << why
            << " (usage: upstream-replay --root DIR [--listen 127.0.0.1:PORT] [--synthetic SUFFIX "
               "[--synthetic-avatar FILE]])\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string root;
  std::string listen = "127.0.0.1:0";
  std::string synthetic, synthetic_avatar;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--root" || arg == "--listen") && i + 1 < argc) {
      (arg == "--root" ? root : listen) = argv[++i];
    } else if (arg == "--synthetic" && i + 1 < argc) {
      synthetic = argv[++i];
    } else if (arg == "--synthetic-avatar" && i + 1 < argc) {
      synthetic_avatar = argv[++i];
    } else if (arg == "--help" || arg == "-h") {
      std::cout << "upstream-replay --root DIR [--listen 127.0.0.1:PORT] [--synthetic SUFFIX "
                   "[--synthetic-avatar FILE]]\n";
      return 0;
    } else {
      return Usage("unknown argument '" + arg + "'");
    }
  }
  if (root.empty()) return Usage("--root is required");
  if (!fs::is_directory(root)) return Usage("no directory " + root);
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Usage("--listen takes ADDRESS:PORT");
  boost::system::error_code ec;
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const auto address = asio::ip::make_address(host, ec);
  if (ec || !address.is_loopback())
    return Usage("it listens on loopback addresses only, not " + host);
  const auto port = static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)));

  asio::io_context io;
  State state;
  state.root = fs::canonical(root);
  state.synthetic_suffix = synthetic;
  if (!synthetic_avatar.empty()) {
    std::ifstream in(synthetic_avatar, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    state.synthetic_avatar = bytes.str();
  }
  tcp::acceptor acceptor(io);
  tcp::endpoint endpoint(address, port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::cerr << "upstream-replay: cannot listen on " << listen << ": " << ec.message() << '\n';
    return 1;
  }
  const auto bound = acceptor.local_endpoint();
  std::cout << "listening on http://"
            << (bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                        : bound.address().to_string())
            << ':' << bound.port() << std::endl;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) {
    acceptor.close();
    io.stop();
  });
  Accept(acceptor, state);
  io.run();
  return 0;
}
