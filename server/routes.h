// What the server answers, as a pure function from a request to a response: no sockets, so
// every route is testable directly. server.h puts it behind Boost.Beast. The handlers are in one
// file per concern: routes.cc (dispatch, health, metrics), embed_routes.cc, media_routes.cc,
// api_routes.cc, oembed_routes.cc and home.cc; what they share is in server/detail/.
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
#include "server/metrics.h"
#include "service/service.h"

namespace boost::urls {
class params_view;
}  // namespace boost::urls

namespace stillpost::server {

// Views into the received request, valid while Handle() runs.
struct Request {
  std::string_view method;  // "GET", "HEAD", ...
  std::string_view target;  // path and query, as received
  std::string_view if_none_match;
  std::string_view range;
  std::string_view if_range = {};         // a Range applies only when this matches the ETag
  std::string_view accept_encoding = {};  // gzip is sent when the client accepts it
  std::string_view authorization = {};    // the write routes' "Bearer TOKEN"
  std::string_view origin = {};           // the Origin header (embed.js's seen reports)
  std::string_view body = {};             // POST bodies of the routes that take one (TakesBody)
  std::string_view accept_datetime = {};  // Memento: an embed asked for as it was then
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
  // For the error log, never sent: why a 5xx happened (a store error, an exception).
  std::string log_error;

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

// The query string of a request, parsed once with its target (a target whose query does not
// parse is answered 400 before any handler runs).
class Query {
 public:
  Query() = default;
  // The parameters of a parsed request target (decoded by Boost.URL, '+' as a space).
  explicit Query(const boost::urls::params_view& params);
  bool empty() const { return params_.empty(); }
  // The first value of `name`; "" when absent.
  std::string Get(std::string_view name) const;
  // Whether `name` is set: present with no value, "1", "true" or "yes".
  bool Flag(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

// The write side's routes (answered when the Router has a service): POST /api/v1/archive,
// GET /api/v1/jobs/ID, POST /api/v1/seen. kNone for every other path (one compare for those).
enum class WriteRoute { kNone, kArchive, kJobs, kSeen };
WriteRoute WriteRouteOf(std::string_view path);

struct RouterOptions {
  // The base of every URL we emit: "http://127.0.0.1:8080", or with a path prefix
  // ("https://news.example/archive") when deployed under one; requests may arrive with the
  // prefix (a proxy that passes it on) or without it (one that strips it).
  std::string public_base;
  size_t render_cache_entries = 4096;      // rendered embeds kept in memory (LRU by count)
  size_t media_cache_bytes = 64 << 20;     // media kept in memory (LRU by size)
  size_t media_cache_max_item = 16 << 20;  // larger media are streamed from the store, in pieces
};

// Thread safety: Handle() may be called from any number of threads at once (the caches are
// locked, metrics per thread); set_public_base() only before the first Handle().
// The Router borrows `store`, which must outlive it.
class Router {
 public:
  Router(archive::Store& store, RouterOptions options);
  ~Router();
  // Answers one request; never throws: a handler's exception becomes a 500 without details,
  // its message kept in log_error for the server's error log (with the route). Every
  // response carries X-Content-Type-Options; text is gzipped when the client takes it. The
  // Response may share cached bodies (shared_body, blob): they stay valid as long as it lives,
  // even after the cache drops them.
  Response Handle(const Request& request);
  // Set before the server runs, when the base is known only after binding.
  void set_public_base(std::string base);
  // The write side (archive API, seen pages), borrowed; without one those routes answer 404.
  // Set before the first Handle().
  void set_service(service::Service* service) { service_ = service; }
  // Whether a request to `target` with `method` has a body the server should read (POST to
  // /api/v1/archive or /api/v1/seen); other bodies are refused unread.
  bool TakesBody(std::string_view method, std::string_view target) const;
  Metrics& metrics() { return metrics_; }

 private:
  Response Route(const Request& r, std::string_view path, const Query& query);
  Response Embed(const Request& r, std::string_view key, const Query& query);  // embed_routes.cc
  Response EmbedJs(const Request& r);                                          // embed_routes.cc
  Response Media(const Request& r, std::string_view sha);                      // media_routes.cc
  Response OEmbed(const Query& query);                                         // oembed_routes.cc
  Response Api(std::string_view rest);                                         // api_routes.cc
  Response Articles(const Query& query);                                       // api_routes.cc
  Response Home(const Query& query);                                           // home.cc
  Response ChangesFeed(const Query& query);
  // provenance_routes.cc: the signing keys, a capture's verify page, the Memento TimeMap.
  Response Keys();
  Response Verify(const std::string& key, const Query& query);
  Response TimeMap(const std::string& key);
  // The Memento Link header of a post's embeds: its original, TimeGate and TimeMap.
  std::string MementoLinks(const std::string& key, const std::string& original) const;
  Response Write(const Request& r, WriteRoute route, std::string_view path);  // api_routes.cc
  std::string HomeItem(const std::string& key) const;  // one line of the home page's lists

  archive::Store& store_;
  service::Service* service_ = nullptr;
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

}  // namespace stillpost::server
