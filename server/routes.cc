#include "server/routes.h"

#include <algorithm>
#include <boost/algorithm/string/replace.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <charconv>

#include "common/post_key.h"
#include "common/web.h"
#include "server/detail/respond.h"

namespace stillpost::server {

using detail::Error;
using detail::Json;

namespace {

// A small mark for browsers' tab and bookmark icons (they ask for /favicon.ico unprompted).
constexpr std::string_view kFavicon =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\"><rect width=\"32\" "
    "height=\"32\" rx=\"7\" fill=\"#0f1419\"/><path d=\"M9 10h14v3H9zm0 5h14v3H9zm0 5h9v3H9z\" "
    "fill=\"#fff\"/></svg>\n";

// The metrics route of a path, for every response Route() gives (and one its handler could not
// finish because it threw).
std::string_view RouteOf(std::string_view path) {
  auto starts = [&](std::string_view p) { return path.rfind(p, 0) == 0; };
  if (starts("/embed/")) return "embed";
  if (starts("/media/")) return "media";
  if (path == "/oembed") return "oembed";
  if (starts("/api/v1/posts/") || path == "/api/v1/articles") return "api";
  switch (WriteRouteOf(path)) {
    case WriteRoute::kArchive:
      return "archive";
    case WriteRoute::kJobs:
      return "jobs";
    case WriteRoute::kSeen:
      return "seen";
    case WriteRoute::kNone:
      break;
  }
  if (path == "/embed.js") return "embed.js";
  if (path == "/feeds/changes.atom") return "changes";
  if (starts("/verify/")) return "verify";
  if (starts("/timemap/")) return "timemap";
  if (path == "/.well-known/stillpost/keys.json") return "keys";
  if (path == "/healthz") return "healthz";
  if (path == "/metrics") return "metrics";
  if (path == "/" || path.empty()) return "home";
  return "other";
}

}  // namespace

Query::Query(const boost::urls::params_view& params) {
  for (const auto& p : params) params_.emplace_back(p.key, p.value);
}

std::string Query::Get(std::string_view name) const {
  for (const auto& [k, v] : params_) {
    if (k == name) return v;
  }
  return {};
}

bool Query::Flag(std::string_view name) const {
  for (const auto& [k, v] : params_) {
    if (k == name) return v.empty() || v == "1" || v == "true" || v == "yes";
  }
  return false;
}

Result<std::string> NormalizeKey(std::string_view encoded) {
  auto pct = boost::urls::make_pct_string_view(encoded);
  if (!pct) return InvalidArgumentError("malformed escape in " + ValidUtf8(encoded));
  std::string key = pct->decode();
  // The platform, a Mastodon host and a did:web host are case-insensitive names.
  const size_t first = std::min(key.find('/'), key.size());
  const size_t second = std::min(key.find('/', std::min(first + 1, key.size())), key.size());
  // [from, to) in lower case; an empty or inverted range (a key that ends at its platform,
  // "mastodon") is nothing to do.
  auto lower = [&key](size_t from, size_t to) {
    to = std::min(to, key.size());
    if (from >= to) return;
    std::transform(
        key.begin() + static_cast<ptrdiff_t>(from), key.begin() + static_cast<ptrdiff_t>(to),
        key.begin() + static_cast<ptrdiff_t>(from),
        [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  };
  lower(0, first);
  const std::string_view platform = std::string_view(key).substr(0, first);
  constexpr std::string_view kDidWeb = "did:web:";
  if (platform == "mastodon") lower(first + 1, second);
  // Not std::string::compare(pos, ...): libstdc++ declares its string_view overload noexcept yet
  // throws for pos > size(), which terminated the server on "/embed/bsky" (found by fuzz_router).
  const std::string_view after_platform =
      std::string_view(key).substr(std::min(first + 1, key.size()));
  if (platform == "bsky" && after_platform.starts_with(kDidWeb)) {
    lower(first + 1, second);
    // The key keeps a did:web port's colon escaped (did:web:example.com%3A8443).
    const size_t host = first + 1 + kDidWeb.size();
    std::string did = key.substr(host, second - host);
    boost::algorithm::replace_all(did, ":", "%3A");
    key.replace(host, second - host, did);
  }
  auto parsed = ParsePostKey(key);
  if (!parsed) return parsed.error();
  return key;
}

bool AcceptsGzip(std::string_view header) {
  namespace http = boost::beast::http;
  for (const auto& coding :
       http::ext_list{boost::beast::string_view(header.data(), header.size())}) {
    if (!boost::beast::iequals(coding.first, "gzip") && coding.first != "*") continue;
    // q=0 (0.0, 0.000) refuses it.
    bool refused = false;
    for (const auto& param : coding.second) {
      if (!boost::beast::iequals(param.first, "q")) continue;
      double q = 1;
      const auto v = param.second;
      refused = std::from_chars(v.data(), v.data() + v.size(), q).ec == std::errc() && q == 0;
    }
    if (!refused) return true;
  }
  return false;
}

Router::Router(archive::Store& store, RouterOptions options)
    : store_(store),
      options_(std::move(options)),
      cache_(std::make_unique<Cache>(options_.render_cache_entries)),
      media_cache_(std::make_unique<MediaCache>(options_.media_cache_bytes)) {}
Router::~Router() = default;

void Router::set_public_base(std::string base) {
  options_.public_base = std::move(base);
  base_path_.clear();
  if (auto u = boost::urls::parse_absolute_uri(options_.public_base); u) {
    base_path_ = std::string(u->encoded_path());
    while (!base_path_.empty() && base_path_.back() == '/') base_path_.pop_back();
  }
  while (!options_.public_base.empty() && options_.public_base.back() == '/') {
    options_.public_base.pop_back();
  }
}

// The path of a target without the deployment's prefix (when a proxy passed it on).
static std::string_view LocalPath(std::string_view path, const std::string& base_path) {
  if (!base_path.empty() && path.rfind(base_path, 0) == 0 &&
      (path.size() == base_path.size() || path[base_path.size()] == '/')) {
    path.remove_prefix(base_path.size());
  }
  return path;
}

WriteRoute WriteRouteOf(std::string_view path) {
  constexpr std::string_view kApi = "/api/v1/";
  if (!path.starts_with(kApi)) return WriteRoute::kNone;  // every embed and media request
  const std::string_view rest = path.substr(kApi.size());
  if (rest == "archive") return WriteRoute::kArchive;
  if (rest == "seen") return WriteRoute::kSeen;
  if (rest.starts_with("jobs/")) return WriteRoute::kJobs;
  return WriteRoute::kNone;
}

bool Router::TakesBody(std::string_view method, std::string_view target) const {
  if (method != "POST" || service_ == nullptr) return false;
  const WriteRoute w = WriteRouteOf(LocalPath(target.substr(0, target.find('?')), base_path_));
  return w == WriteRoute::kArchive || w == WriteRoute::kSeen;
}

Response Router::Handle(const Request& req) {
  Response r;
  const bool write_method = req.method == "POST" || req.method == "OPTIONS";
  if (req.method != "GET" && req.method != "HEAD" && !write_method) {
    r = Error(405, "only GET, HEAD and (for the archive API) POST");
    r.Set("Allow", "GET, HEAD, POST");
  } else if (auto parsed = boost::urls::parse_origin_form(req.target); !parsed) {
    r = Error(400, "malformed request target");
  } else {
    // Behind a proxy that passes the deployment's prefix on, the prefix is ours to drop.
    const std::string_view path = LocalPath(parsed->encoded_path(), base_path_);
    // The query, parsed once for whichever handler takes it.
    const Query query(parsed->params());
    try {
      r = Route(req, path, query);
    } catch (const std::exception& e) {
      r = Error(500, "internal error");
      r.route = RouteOf(path);
      r.log_error = std::string("exception: ") + e.what();
    } catch (...) {
      r = Error(500, "internal error");
      r.route = RouteOf(path);
      r.log_error = "exception of unknown type";
    }
  }
  r.Set("X-Content-Type-Options", "nosniff");
  // Text is sent gzipped to clients that take it: compressed here unless the route did (an
  // embed's body is compressed once, when it is rendered and cached).
  const bool text = [&] {
    bool textual = false;
    for (const auto& h : r.headers) {
      if (h.name == "Content-Encoding") return false;
      if (h.name == "Content-Type") {
        const std::string_view v = h.Value();
        textual = v.rfind("text/", 0) == 0 || v.rfind("application/json", 0) == 0 ||
                  v.rfind("image/svg", 0) == 0;
      }
    }
    return textual;
  }();
  if (text && r.status != 304 && !r.blob && !r.read && !r.head_length) {
    // Vary names Accept-Encoding, beside what the handler named (Accept-Datetime, Origin).
    bool varies = false;
    for (auto& h : r.headers) {
      if (h.name != "Vary") continue;
      varies = true;
      if (h.Value().find("Accept-Encoding") == std::string_view::npos) {
        h.owned = std::string(h.Value()) + ", Accept-Encoding";
      }
    }
    if (!varies) r.Set("Vary", "Accept-Encoding");
    const std::string_view body =
        r.shared_body ? std::string_view(*r.shared_body) : std::string_view(r.body);
    if (body.size() >= detail::kCompressFrom && AcceptsGzip(req.accept_encoding)) {
      if (std::string gz = detail::Gzip(body); !gz.empty()) {
        r.body = std::move(gz);
        r.shared_body.reset();
        r.Set("Content-Encoding", "gzip");
      }
    }
  }
  return r;
}

Response Router::Route(const Request& req, std::string_view path, const Query& query) {
  // A dotted or doubled path is a probe, not a route (but for the one well-known one we serve).
  const bool keys = path == "/.well-known/stillpost/keys.json";
  if ((path.find("/.") != std::string_view::npos && !keys) ||
      path.find("//") != std::string_view::npos) {
    return Error(400, "malformed path");
  }
  auto starts = [&](std::string_view p) { return path.rfind(p, 0) == 0; };
  // Keys arrive as pages and people wrote them: escaped, with a host in capitals. They are
  // served under their canonical spelling rather than refused (NormalizeKey).
  Response r;
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (const WriteRoute w = WriteRouteOf(path); w != WriteRoute::kNone) {
    r = Write(req, w, path);
    r.route = RouteOf(path);
    return r;
  }
  if (!get) {
    r = Error(405, "only GET and HEAD here");
    r.Set("Allow", "GET, HEAD");
  } else if (starts("/embed/")) {
    auto key = NormalizeKey(path.substr(7));
    r = key ? Embed(req, *key, query) : Error(400, key.error().message());
    if (key && r.status == 200 && service_ != nullptr) service_->CountView(*key);
  } else if (starts("/media/")) {
    r = Media(req, path.substr(7));
  } else if (path == "/oembed") {
    r = OEmbed(query);
    r.Set("Access-Control-Allow-Origin", "*");
  } else if (starts("/api/v1/posts/")) {
    std::string rest(path.substr(14));
    std::string at;
    if (const size_t c = rest.rfind("/captures/"); c != std::string::npos) {
      at = rest.substr(c);
      rest = rest.substr(0, c);
    }
    auto key = NormalizeKey(rest);
    r = key ? Api(*key + at) : Error(400, key.error().message());
    // Public data, asked for by embed.js from publishers' pages: any origin, no credentials.
    r.Set("Access-Control-Allow-Origin", "*");
  } else if (path == "/api/v1/articles") {
    r = Articles(query);
    r.Set("Access-Control-Allow-Origin", "*");
  } else if (path == "/embed.js") {
    r = EmbedJs(req);
  } else if (path == "/feeds/changes.atom") {
    r = ChangesFeed(query);
  } else if (keys) {
    r = Keys();
  } else if (starts("/verify/")) {
    auto key = NormalizeKey(path.substr(8));
    r = key ? Verify(*key, query) : Error(400, key.error().message());
  } else if (starts("/timemap/link/")) {
    auto key = NormalizeKey(path.substr(14));
    r = key ? TimeMap(*key) : Error(400, key.error().message());
  } else if (path == "/favicon.ico") {
    r.body = std::string(kFavicon);
    r.Set("Content-Type", "image/svg+xml");
    r.Set("Cache-Control", "public, max-age=604800");
  } else if (path == "/healthz") {
    // Healthy only when the store answers a read (not merely when the process runs).
    if (Status s = store_.CheckReadable(); !s.ok()) {
      r.status = 503;
      r.body = "unhealthy: " + ValidUtf8(s.message()) + "\n";
    } else {
      r.body = "ok\n";
    }
    r.Set("Content-Type", "text/plain; charset=utf-8");
    r.Set("Cache-Control", "no-store");
  } else if (path == "/metrics") {
    r.body = metrics_.Render(store_.Stats(), service_ ? service_->Metrics() : std::string());
    r.Set("Content-Type", "text/plain; version=0.0.4");
    r.Set("Cache-Control", "no-store");
  } else if (path == "/" || path.empty()) {
    r = Home(query);
  } else {
    r = Error(404, "no such route");
  }
  r.route = RouteOf(path);  // the metrics route: the same names as the dispatch above
  return r;
}

}  // namespace stillpost::server
