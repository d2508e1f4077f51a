#include "server/routes.h"

#include <google/protobuf/util/time_util.h>
#include <zlib.h>

#include <algorithm>
#include <boost/algorithm/string/replace.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>
#include <cstdio>
#include <list>
#include <mutex>
#include <unordered_map>

#include "archive/serving.h"
#include "common/post_key.h"
#include "common/post_ref.h"
#include "common/sha256.h"
#include "common/time.h"
#include "common/web.h"
#include "embed/render.h"
#include "embed/view_json.h"

namespace stillpost::server {
namespace {

using google::protobuf::util::TimeUtil;

constexpr const char* kLatestCache = "public, max-age=60, must-revalidate";
constexpr const char* kImmutable = "public, max-age=31536000, immutable";
constexpr const char* kPinnedCache = "public, max-age=86400";
constexpr size_t kRecentOnHome = 20;
constexpr int kLookupFrameHeight = 400;  // until embed.js sets the post's own height

UnixMicros Micros(const google::protobuf::Timestamp& ts) {
  return TimeUtil::TimestampToMicroseconds(ts);
}

Response Json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.Set("Content-Type", "application/json; charset=utf-8");
  r.Set("Cache-Control", "no-cache");
  return r;
}

// Error messages can quote what the request said (a URL, a key): JSON must stay valid UTF-8.
Response Error(int status, std::string_view message) {
  boost::json::object o;
  o["error"] = ValidUtf8(message);
  return Json(status, boost::json::serialize(o));
}

std::string Param(const boost::urls::url_view& u, std::string_view name) {
  auto it = u.params().find(name);
  return it == u.params().end() ? "" : std::string((*it).value);
}

bool Flag(const boost::urls::url_view& u, std::string_view name) {
  auto it = u.params().find(name);
  if (it == u.params().end()) return false;
  const std::string v((*it).value);
  return v.empty() || v == "1" || v == "true" || v == "yes";
}

// Bodies smaller than this go as they are: gzip's header and a round of deflate cost more.
constexpr size_t kCompressFrom = 512;

// A small mark for browsers' tab and bookmark icons (they ask for /favicon.ico unprompted).
constexpr std::string_view kFavicon =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\"><rect width=\"32\" "
    "height=\"32\" rx=\"7\" fill=\"#0f1419\"/><path d=\"M9 10h14v3H9zm0 5h14v3H9zm0 5h9v3H9z\" "
    "fill=\"#fff\"/></svg>\n";

// `in` as one gzip member (RFC 1952) by zlib, mtime 0.
std::string Gzip(std::string_view in) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

int StatusFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

}  // namespace

Result<std::string> NormalizeKey(std::string_view encoded) {
  auto pct = boost::urls::make_pct_string_view(encoded);
  if (!pct) return InvalidArgumentError("malformed escape in " + ValidUtf8(encoded));
  std::string key = pct->decode();
  // The platform, a Mastodon host and a did:web host are case-insensitive names.
  const size_t first = std::min(key.find('/'), key.size());
  const size_t second = std::min(key.find('/', std::min(first + 1, key.size())), key.size());
  auto lower = [&key](size_t from, size_t to) {
    std::transform(
        key.begin() + static_cast<ptrdiff_t>(from), key.begin() + static_cast<ptrdiff_t>(to),
        key.begin() + static_cast<ptrdiff_t>(from),
        [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  };
  lower(0, first);
  const std::string_view platform = std::string_view(key).substr(0, first);
  constexpr std::string_view kDidWeb = "did:web:";
  if (platform == "mastodon") lower(first + 1, second);
  if (platform == "bsky" && key.compare(first + 1, kDidWeb.size(), kDidWeb) == 0) {
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

std::optional<ByteRange> ParseRange(std::string_view h, size_t size) {
  ByteRange whole{0, size == 0 ? 0 : size - 1, true};
  if (h.empty() || h.rfind("bytes=", 0) != 0 || h.find(',') != std::string_view::npos) return whole;
  std::string_view spec = h.substr(6);
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  auto num = [](std::string_view s, size_t& out) {
    if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string_view::npos) {
      return false;
    }
    out = std::stoull(std::string(s));
    return true;
  };
  size_t a = 0, b = 0;
  const std::string_view left = spec.substr(0, dash), right = spec.substr(dash + 1);
  if (left.empty()) {                  // the last b bytes
    if (!num(right, b)) return whole;  // malformed: ignored (RFC 9110 14.2)
    if (b == 0 || size == 0) return std::nullopt;
    return ByteRange{b >= size ? 0 : size - b, size - 1, false};
  }
  if (!num(left, a)) return whole;
  if (a >= size) return std::nullopt;
  if (right.empty()) return ByteRange{a, size - 1, false};
  if (!num(right, b) || b < a) return whole;
  return ByteRange{a, std::min(b, size - 1), false};
}

// A thread-safe LRU map from string keys to shared values, bounded by a total cost: the render
// cache counts entries, the media cache bytes. A value costing more than a shard's budget is not
// kept. Keys are spread over `shards` independently locked shards (the render cache is read and
// written by every request on every thread). Each shard indexes by the key's hash, each entry
// keeps its key to check against, and an evicted entry's node and key storage are reused: under
// a stream of misses (uniformly random posts) a Put allocates only the index node.
//
// With `admit_on_second_sight`, a key is kept only when it is Put a second time while its first
// sighting is still remembered (a TinyLFU-style doorkeeper: a bitset of recent key hashes,
// cleared after a few budgets' worth of sightings). A post requested once is then rendered and
// not cached: it does not push a post that is requested again and again out of the cache, and
// the miss costs no eviction.
template <typename V>
class Lru {
 public:
  Lru(size_t budget, size_t (*cost)(const V&), size_t shards = 1,
      bool admit_on_second_sight = false)
      : shards_(std::max<size_t>(1, shards)),
        budget_(budget / shards_.size()),
        cost_(cost),
        doorkeeper_(admit_on_second_sight) {
    if (doorkeeper_) {
      for (auto& sh : shards_) sh.seen.assign(kSeenWords, 0);
    }
  }

  std::shared_ptr<const V> Get(std::string_view key) {
    const size_t h = std::hash<std::string_view>{}(key);
    Shard& sh = shards_[h % shards_.size()];
    std::lock_guard<std::mutex> lock(sh.mu);
    auto it = sh.index.find(h);
    if (it == sh.index.end() || it->second->key != key) return nullptr;
    sh.order.splice(sh.order.begin(), sh.order, it->second);
    return it->second->value;
  }

  void Put(std::string_view key, std::shared_ptr<const V> value) {
    const size_t cost = cost_(*value);
    const size_t h = std::hash<std::string_view>{}(key);
    Shard& sh = shards_[h % shards_.size()];
    std::shared_ptr<const V> evicted;  // released after the lock
    std::lock_guard<std::mutex> lock(sh.mu);
    if (cost > budget_ || sh.index.count(h)) return;  // kept already (or a hash twin: skip it)
    if (doorkeeper_) {
      uint64_t& word = sh.seen[(h >> 6) % kSeenWords];
      const uint64_t bit = uint64_t{1} << (h & 63);
      if ((word & bit) == 0) {
        word |= bit;
        if (++sh.sightings > kForgetAfterBudgets * std::max<size_t>(budget_, 64)) {
          std::fill(sh.seen.begin(), sh.seen.end(), 0);
          sh.sightings = 0;
        }
        return;  // first sighting: remembered, not kept
      }
    }
    sh.used += cost;
    while (!sh.order.empty() && sh.used > budget_) {
      Entry& last = sh.order.back();
      sh.used -= last.cost;
      sh.index.erase(last.hash);
      evicted = std::move(last.value);
      sh.spare.splice(sh.spare.begin(), sh.order, std::prev(sh.order.end()));
    }
    if (sh.spare.empty()) sh.spare.emplace_front();
    sh.order.splice(sh.order.begin(), sh.spare, sh.spare.begin());
    Entry& e = sh.order.front();
    e.hash = h;
    e.key.assign(key.data(), key.size());  // reuses the evicted key's capacity
    e.value = std::move(value);
    e.cost = cost;
    sh.index.emplace(h, sh.order.begin());
  }

 private:
  struct Entry {
    size_t hash = 0;
    std::string key;
    std::shared_ptr<const V> value;
    size_t cost = 0;
  };
  static constexpr size_t kSeenWords = 1024;  // 65,536 bits per shard
  static constexpr size_t kForgetAfterBudgets = 4;
  struct Shard {
    std::mutex mu;
    std::list<Entry> order;  // most recent first
    std::list<Entry> spare;  // evicted nodes (values released), for reuse
    std::unordered_map<size_t, typename std::list<Entry>::iterator> index;
    size_t used = 0;
    std::vector<uint64_t> seen;  // the doorkeeper's bitset
    size_t sightings = 0;
  };
  std::vector<Shard> shards_;
  const size_t budget_;  // per shard
  size_t (*const cost_)(const V&);
  const bool doorkeeper_;
};

// A rendered embed and its gzip encoding, made once, when a client first asks for gzip: most
// renders are never asked for it (measured: compressing every render cost the serve benchmark
// half its rate, its clients sending no Accept-Encoding).
struct Rendered {
  std::string html;
  const std::string& Gzipped() const {
    std::call_once(once_, [this] { gzip_ = Gzip(html); });
    return gzip_;
  }

 private:
  mutable std::once_flag once_;
  mutable std::string gzip_;
};

// Rendered embeds by URL and ETag, counted by entries.
struct Router::Cache : Lru<Rendered> {
  static constexpr size_t kShards = 16;
  explicit Cache(size_t entries)
      : Lru(
            entries, [](const Rendered&) -> size_t { return 1; }, entries >= kShards ? kShards : 1,
            /*admit_on_second_sight=*/true) {}
};

// Stored media by digest, counted by bytes. Blobs never change, so entries never go stale.
struct Router::MediaCache : Lru<archive::Blob> {
  explicit MediaCache(size_t bytes)
      : Lru(bytes, [](const archive::Blob& b) -> size_t { return b.data().size(); }) {}
};

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

Response Router::Handle(const Request& req) {
  Response r;
  if (req.method != "GET" && req.method != "HEAD") {
    r = Error(405, "only GET and HEAD");
    r.Set("Allow", "GET, HEAD");
  } else if (auto parsed = boost::urls::parse_origin_form(req.target); !parsed) {
    r = Error(400, "malformed request target");
  } else {
    std::string_view path = parsed->encoded_path();
    // Behind a proxy that passes the deployment's prefix on, the prefix is ours to drop.
    if (!base_path_.empty() && path.rfind(base_path_, 0) == 0 &&
        (path.size() == base_path_.size() || path[base_path_.size()] == '/')) {
      path.remove_prefix(base_path_.size());
    }
    r = Route(req, path, parsed->encoded_query());
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
    r.Replace("Vary", "Accept-Encoding");
    const std::string_view body =
        r.shared_body ? std::string_view(*r.shared_body) : std::string_view(r.body);
    if (body.size() >= kCompressFrom && AcceptsGzip(req.accept_encoding)) {
      if (std::string gz = Gzip(body); !gz.empty()) {
        r.body = std::move(gz);
        r.shared_body.reset();
        r.Set("Content-Encoding", "gzip");
      }
    }
  }
  return r;
}

Response Router::Route(const Request& req, std::string_view path, std::string_view query) {
  // A dotted or doubled path is a probe, not a route.
  if (path.find("/.") != std::string_view::npos || path.find("//") != std::string_view::npos) {
    return Error(400, "malformed path");
  }
  auto starts = [&](std::string_view p) { return path.rfind(p, 0) == 0; };
  // Keys arrive as pages and people wrote them: escaped, with a host in capitals. They are
  // served under their canonical spelling rather than refused (NormalizeKey).
  Response r;
  if (starts("/embed/")) {
    auto key = NormalizeKey(path.substr(7));
    if (!key) return Error(400, key.error().message());
    r = Embed(req, *key, query);
    r.route = "embed";
  } else if (starts("/media/")) {
    r = Media(req, path.substr(7));
    r.route = "media";
  } else if (path == "/oembed") {
    r = OEmbed(query);
    r.route = "oembed";
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
    r.route = "api";
    // Public data, asked for by embed.js from publishers' pages: any origin, no credentials.
    r.Set("Access-Control-Allow-Origin", "*");
  } else if (path == "/api/v1/articles") {
    r = Articles(query);
    r.route = "api";
    r.Set("Access-Control-Allow-Origin", "*");
  } else if (path == "/embed.js") {
    r = EmbedJs(req);
    r.route = "embed.js";
  } else if (path == "/favicon.ico") {
    r.body = std::string(kFavicon);
    r.Set("Content-Type", "image/svg+xml");
    r.Set("Cache-Control", "public, max-age=604800");
    r.route = "other";
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
    r.route = "healthz";
  } else if (path == "/metrics") {
    r.body = metrics_.Render(store_.Stats());
    r.Set("Content-Type", "text/plain; version=0.0.4");
    r.Set("Cache-Control", "no-store");
    r.route = "metrics";
  } else if (path == "/" || path.empty()) {
    r = Home(query);
    r.route = "home";
  } else {
    r = Error(404, "no such route");
  }
  return r;
}

Response Router::EmbedJs(const Request& req) {
  static const std::string etag = "\"" + Sha256Hex(embed::EmbedJs()).substr(0, 20) + "\"";
  static const std::string gzipped = Gzip(embed::EmbedJs());
  Response r;
  r.SetStatic("ETag", etag);
  r.Set("Cache-Control", "public, max-age=3600");
  r.Set("Content-Type", "text/javascript; charset=utf-8");
  if (req.if_none_match == etag) {
    r.status = 304;
    return r;
  }
  r.Set("Vary", "Accept-Encoding");
  if (AcceptsGzip(req.accept_encoding) && !gzipped.empty()) {
    r.Set("Content-Encoding", "gzip");
    r.shared_body = std::shared_ptr<const std::string>(std::shared_ptr<void>(), &gzipped);
  } else {
    r.body = std::string(embed::EmbedJs());
  }
  return r;
}

Response Router::Embed(const Request& req, std::string_view key_in, std::string_view query) {
  const std::string key(key_in);
  embed::EmbedOptions opts;
  opts.base_path = base_path_;
  std::string pinned;
  // Most embeds are requested without options: no query to parse.
  const std::string query_text = query.empty() ? "" : "/?" + std::string(query);
  auto q = boost::urls::parse_origin_form(query_text.empty() ? std::string_view("/")
                                                             : std::string_view(query_text));
  if (q && !query.empty()) {
    const std::string theme = Param(*q, "theme");
    opts.theme = theme == "dark" ? embed::Theme::kDark
                                 : (theme == "light" ? embed::Theme::kLight : embed::Theme::kAuto);
    opts.hide_media = Flag(*q, "hide_media");
    opts.hide_thread = Flag(*q, "hide_thread");
    pinned = Param(*q, "capture");
    // A '+' of a time offset arrives as a space when the query was not percent-encoded.
    std::replace(pinned.begin(), pinned.end(), ' ', '+');
  }
  // Everything up to the 304 and the cache is decided from the state alone: the latest capture,
  // read with it, is decompressed only when the page must be rendered.
  auto served = archive::ServingReader(store_).StateForServing(key);
  if (!served) return Error(StatusFor(served.error()), served.error().message());
  const proto::PostState& shown_state = served->state;
  UnixMicros shown_at = 0;
  bool immutable = false;
  Result<proto::Capture> pinned_capture = NotFoundError("");
  if (!pinned.empty()) {
    // capture=TIME: the post as a reader saw it then, the newest capture at or before TIME.
    auto at = ParseTime(pinned);
    if (!at) return Error(400, at.error().message());
    pinned_capture = store_.GoodCaptureAtOrBefore(key, *at);
    if (!pinned_capture) {
      return Error(StatusFor(pinned_capture.error()), pinned_capture.error().message());
    }
    shown_at = Micros(pinned_capture->captured_at());
    opts.pinned = true;
    // Later captures are taken later than now: a time in the past always names this capture.
    immutable = *at <= NowMicros();
  } else {
    if (!shown_state.has_latest_good_at()) return Error(404, key + " was never captured whole");
    shown_at = Micros(shown_state.latest_good_at());
  }
  // "r<renderer>-<shown at>-<current>-<gone since>-<gone kind>-<theme><media><thread><pinned>"
  std::string etag = "\"r";
  auto add = [&etag](long long v, char sep) {
    char buf[24];
    etag.append(buf, static_cast<size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf));
    if (sep != 0) etag += sep;
  };
  add(embed::kRendererVersion, '-');
  add(shown_at, '-');
  add(static_cast<int>(shown_state.current()), '-');
  add(Micros(shown_state.gone_since()), '-');
  add(static_cast<int>(shown_state.gone_kind()), '-');
  add(static_cast<int>(opts.theme), 0);
  add(opts.hide_media, 0);
  add(opts.hide_thread, 0);
  add(opts.pinned, 0);
  etag += '"';
  Response r;
  r.Set("ETag", etag);
  // A pinned capture's page changes only if the post's state does (the "since deleted" line):
  // immutable media, but a revalidated page.
  r.Set("Cache-Control", immutable ? kPinnedCache : kLatestCache);
  r.Set("Content-Type", "text/html; charset=utf-8");
  r.SetStatic("Content-Security-Policy", embed::EmbedContentSecurityPolicy());
  r.Set("Referrer-Policy", "no-referrer");
  if (req.if_none_match == etag) {
    r.status = 304;
    return r;
  }
  const std::string cache_key = key + etag;
  auto rendered = cache_->Get(cache_key);
  if (!rendered) {
    // The latest capture is decoded into an arena whose first block is this thread's buffer:
    // no allocation per field, and nothing to free field by field afterwards.
    thread_local char arena_block[64 << 10];
    google::protobuf::ArenaOptions arena_options;
    arena_options.initial_block = arena_block;
    arena_options.initial_block_size = sizeof arena_block;
    google::protobuf::Arena arena(arena_options);
    const proto::Capture* capture = nullptr;
    if (pinned.empty()) {
      auto latest = archive::ServingReader(store_).DecodeLatest(*served, arena);
      if (!latest) return Error(StatusFor(latest.error()), latest.error().message());
      capture = *latest;
    } else {
      capture = &*pinned_capture;
    }
    if (!capture->has_post()) return Error(404, "that capture records the post as gone");
    auto made = std::make_shared<Rendered>();
    made->html = embed::RenderEmbed(embed::EmbedInput{shown_state, *capture}, opts);
    rendered = std::move(made);
    cache_->Put(cache_key, rendered);
  }
  r.Set("Vary", "Accept-Encoding");
  const bool gzip = AcceptsGzip(req.accept_encoding) && !rendered->Gzipped().empty();
  if (gzip) r.Set("Content-Encoding", "gzip");
  // The body is the cached entry's own string: no copy per request.
  r.shared_body =
      std::shared_ptr<const std::string>(rendered, gzip ? &rendered->Gzipped() : &rendered->html);
  return r;
}

Response Router::Media(const Request& req, std::string_view sha) {
  if (!IsSha256Hex(sha)) return Error(400, "a media name is a SHA-256 digest");
  auto meta = store_.GetBlobMeta(sha);
  if (!meta) return Error(StatusFor(meta.error()), meta.error().message());
  const std::string etag = "\"" + std::string(sha) + "\"";
  Response r;
  r.Set("ETag", etag);
  r.Set("Cache-Control", kImmutable);
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
    auto range = ParseRange(range_header, size);
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
    if (!blob) return Error(StatusFor(blob.error()), blob.error().message());
    shared = std::make_shared<const archive::Blob>(std::move(*blob));
    if (shared->data().size() <= options_.media_cache_max_item) media_cache_->Put(digest, shared);
  }
  const size_t size = shared->data().size();
  auto range = ParseRange(range_header, size);
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

Response Router::OEmbed(std::string_view query) {
  const std::string query_text = "/?" + std::string(query);
  auto q = boost::urls::parse_origin_form(query_text);
  if (!q) return Error(400, "malformed query");
  const std::string url = Param(*q, "url");
  if (url.empty()) return Error(400, "oEmbed needs url=");
  std::string format = Param(*q, "format");
  for (char& c : format) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (!format.empty() && format != "json") return Error(501, "only format=json is implemented");
  // Our own embed URLs name the key directly; post URLs and ids are recognised.
  std::string ref = url;
  const std::string own = options_.public_base + "/embed/";
  if (ref.rfind(own, 0) == 0) ref = ref.substr(own.size(), ref.find('?') - own.size());
  auto parsed = ParsePostRef(ref);
  if (!parsed) return Error(404, "not an archived post: " + url);
  auto key = archive::KeyOfRef(store_, *parsed);
  if (!key) return Error(404, "not an archived post: " + url);
  auto state = store_.State(*key);
  if (!state || !state->has_latest_good()) return Error(404, "not an archived post: " + url);
  auto number = [&](std::string_view name) {
    const std::string v = Param(*q, name);
    if (v.empty() || v.size() > 5 || v.find_first_not_of("0123456789") != std::string::npos) {
      return 0;
    }
    return std::stoi(v);
  };
  embed::OEmbedOptions o;
  o.base = options_.public_base;
  o.maxwidth = number("maxwidth");
  o.maxheight = number("maxheight");
  const std::string theme = Param(*q, "theme");
  o.theme = theme == "dark" ? embed::Theme::kDark
                            : (theme == "light" ? embed::Theme::kLight : embed::Theme::kAuto);
  o.hide_media = Flag(*q, "hide_media");
  o.hide_thread = Flag(*q, "hide_thread");
  const std::string align = Param(*q, "align");
  if (align == "left" || align == "right" || align == "center") o.align = align;
  o.omit_script = Flag(*q, "omit_script");
  // dnt=1 is accepted: stillpost never tracks, so there is nothing to turn off.
  proto::PostState s = *state;
  const proto::Capture latest = s.latest_good();
  s.clear_latest_good();
  Response r = Json(200, embed::RenderOEmbed(embed::EmbedInput{s, latest}, o));
  r.Replace("Cache-Control", "public, max-age=300");
  return r;
}

Response Router::Api(std::string_view rest) {
  std::string key(rest);
  std::string at;
  if (const size_t c = key.rfind("/captures/"); c != std::string::npos) {
    at = key.substr(c + 10);
    key = key.substr(0, c);
  }
  if (auto k = ParsePostKey(key); !k) return Error(400, k.error().message());
  if (!at.empty()) {
    auto t = ParseTime(at);
    if (!t) return Error(400, t.error().message());
    auto c = store_.CaptureAt(key, *t);
    if (!c) return Error(StatusFor(c.error()), c.error().message());
    Response r = Json(200, boost::json::serialize(embed::MessageJson(*c)));
    r.Replace("Cache-Control", kImmutable);
    return r;
  }
  auto state = store_.State(key);
  if (!state) return Error(StatusFor(state.error()), state.error().message());
  auto captures = store_.Captures(key);
  if (!captures) return Error(StatusFor(captures.error()), captures.error().message());
  boost::json::object o = embed::PostJson(key, *state, *captures);
  // Known, but only as gone: a 404 for embed.js's HEAD, with what we know in the body.
  if (!state->has_latest_good()) o["error"] = "never captured whole";
  return Json(state->has_latest_good() ? 200 : 404, boost::json::serialize(o));
}

Response Router::Articles(std::string_view query) {
  const std::string query_text = "/?" + std::string(query);
  auto q = boost::urls::parse_origin_form(query_text);
  if (!q) return Error(400, "malformed query");
  const std::string url = Param(*q, "url");
  if (url.empty()) return Error(400, "articles needs url= (the article's URL)");
  auto article = store_.GetArticle(url);
  if (!article) {
    return Error(StatusFor(article.error()), article.error().code() == StatusCode::kNotFound
                                                 ? "no archived article " + url
                                                 : article.error().message());
  }
  return Json(200,
              boost::json::serialize(embed::ArticleJson(*article, [this](const std::string& k) {
                return archive::ArchivedState(store_, k);
              })));
}

Response Router::Home(std::string_view query) {
  const std::string query_text = "/?" + std::string(query);
  auto q = boost::urls::parse_origin_form(query_text);
  std::string lookup = q ? Param(*q, "q") : "";
  const std::string root = embed::HtmlEscape(base_path_);
  Response r;
  r.Set("Content-Type", "text/html; charset=utf-8");
  // embed.js (our own, from 'self') sizes the lookup's iframe to its post.
  r.Set("Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-src 'self'; form-action 'self'");
  r.Set("Cache-Control", "no-cache");
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>stillpost</title>"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><link rel=\"icon\" "
      "href=\"" +
      root +
      "/favicon.ico\"><style>body{font:16px system-ui,sans-serif;max-width:640px;margin:2em "
      "auto;padding:0 1em}input{width:70%;padding:6px}li{margin:6px 0}.st{font-size:13px;"
      "padding:1px 6px;border-radius:8px;background:#e7f3e8}.st.gone{background:#fdecc8}"
      ".who{color:#536471}</style></head><body><h1>stillpost</h1><p>Archived X, Mastodon and "
      "Bluesky posts, served as they were.</p><form method=\"get\" action=\"" +
      root +
      "/\"><label for=\"q\">Post URL, key or X id, or an article's URL</label><br>"
      "<input id=\"q\" name=\"q\" value=\"" +
      embed::HtmlEscape(lookup) + "\"> <button>Look up</button></form>";
  if (!lookup.empty()) {
    Result<std::string> key = InvalidArgumentError("");
    if (auto parsed = ParsePostRef(lookup); parsed) {
      key = archive::KeyOfRef(store_, *parsed);
    } else {
      key = parsed.error();
    }
    auto article = key ? Result<proto::Article>(NotFoundError("")) : store_.GetArticle(lookup);
    if (article) {
      html += "<h2>" +
              embed::HtmlEscape(article->title().empty() ? article->url() : article->title()) +
              "</h2><ul>";
      for (const auto& k : article->post_keys()) html += HomeItem(k);
      html += "</ul>";
    } else if (!key) {
      html += "<p>" +
              embed::HtmlEscape(IsHttpUrl(lookup) ? "not an archived post or article: " + lookup
                                                  : key.error().message()) +
              "</p>";
    } else if (auto s = store_.StateSummary(*key); !s || !s->has_latest_good_at()) {
      html += "<p>" + embed::HtmlEscape(*key) + " is not archived.</p>";
    } else {
      const std::string e = embed::HtmlEscape(*key);
      html += "<p><a href=\"" + root + "/embed/" + e + "\">" + root + "/embed/" + e +
              "</a> &middot; <a href=\"" + root + "/api/v1/posts/" + e +
              "\">API</a></p><iframe class=\"stillpost-embed\" src=\"" + root + "/embed/" + e +
              "\" width=\"550\" height=\"" + std::to_string(kLookupFrameHeight) +
              "\" style=\"border:0;max-width:100%\" title=\"Archived post\"></iframe>";
    }
  }
  html += "<h2>Recent captures</h2><ul>";
  // Each post once, newest first; posts never captured whole (a mistyped id) are not shown.
  std::vector<std::string> seen;
  UnixMicros before = 0;
  for (int round = 0; round < 5 && seen.size() < kRecentOnHome; ++round) {
    auto recent = store_.RecentCaptures(kRecentOnHome * 4, before);
    if (!recent || recent->empty()) break;
    for (const auto& c : *recent) {
      before = c.captured_at;
      if (seen.size() >= kRecentOnHome) break;
      if (std::find(seen.begin(), seen.end(), c.key) != seen.end()) continue;
      seen.push_back(c.key);
      html += HomeItem(c.key);
    }
  }
  html += "</ul><script src=\"" + root + "/embed.js\" async></script></body></html>\n";
  r.body = std::move(html);
  return r;
}

std::string Router::HomeItem(const std::string& key) const {
  auto state = store_.State(key);
  if (!state || !state->has_latest_good()) return "";
  const std::string e = embed::HtmlEscape(key);
  const std::string word = embed::StateWord(*state);
  const proto::Post& p = state->latest_good().post();
  std::string item = "<li><a href=\"" + embed::HtmlEscape(base_path_) + "/embed/" + e + "\">" + e +
                     "</a> <span class=\"st" +
                     (state->current() == proto::PostState::CURRENT_GONE ? " gone" : "") + "\">" +
                     embed::HtmlEscape(boost::algorithm::replace_all_copy(word, "_", " ")) +
                     "</span> <span class=\"who\">";
  item += embed::HtmlEscape(p.author().display_name());
  if (!p.author().handle().empty()) item += " @" + embed::HtmlEscape(p.author().handle());
  item += "</span> <time>" + FormatRfc3339(Micros(state->last_checked())) + "</time></li>";
  return item;
}

void Metrics::Record(std::string_view route, int status, double seconds, size_t bytes) {
  static std::atomic<size_t> next_slot{0};
  thread_local const size_t mine = next_slot.fetch_add(1) % kSlots;
  Slot& slot = slots_[mine];
  size_t r = std::size(kRoutes) - 1;
  for (size_t i = 0; i < std::size(kRoutes); ++i) {
    if (kRoutes[i] == route) r = i;
  }
  size_t st = std::size(kStatuses);
  for (size_t i = 0; i < std::size(kStatuses); ++i) {
    if (kStatuses[i] == status) st = i;
  }
  constexpr auto relaxed = std::memory_order_relaxed;
  slot.requests[r][st].fetch_add(1, relaxed);
  for (size_t i = 0; i < std::size(kBuckets); ++i) {
    if (seconds <= kBuckets[i]) slot.buckets[i].fetch_add(1, relaxed);
  }
  slot.count.fetch_add(1, relaxed);
  slot.sum_micros.fetch_add(static_cast<uint64_t>(seconds * 1e6), relaxed);
  slot.bytes.fetch_add(bytes, relaxed);
}

std::string Metrics::Render(const archive::StoreStats& stats) const {
  auto total = [this](auto field) {
    uint64_t n = 0;
    for (const Slot& s : slots_) n += field(s).load(std::memory_order_relaxed);
    return n;
  };
  std::string out =
      "# HELP stillpost_requests_total HTTP requests by route and status.\n"
      "# TYPE stillpost_requests_total counter\n";
  for (size_t r = 0; r < std::size(kRoutes); ++r) {
    for (size_t st = 0; st <= std::size(kStatuses); ++st) {
      const uint64_t n = total([&](const Slot& s) -> const auto& { return s.requests[r][st]; });
      if (n == 0) continue;
      out += "stillpost_requests_total{route=\"" + std::string(kRoutes[r]) + "\",status=\"" +
             (st < std::size(kStatuses) ? std::to_string(kStatuses[st]) : std::string("other")) +
             "\"} " + std::to_string(n) + "\n";
    }
  }
  const uint64_t count = total([](const Slot& s) -> const auto& { return s.count; });
  out +=
      "# HELP stillpost_request_seconds Time to answer a request.\n"
      "# TYPE stillpost_request_seconds histogram\n";
  char buf[128];
  for (size_t i = 0; i < std::size(kBuckets); ++i) {
    std::snprintf(buf, sizeof buf, "stillpost_request_seconds_bucket{le=\"%g\"} %llu\n",
                  kBuckets[i],
                  static_cast<unsigned long long>(
                      total([&](const Slot& s) -> const auto& { return s.buckets[i]; })));
    out += buf;
  }
  out += "stillpost_request_seconds_bucket{le=\"+Inf\"} " + std::to_string(count) + "\n";
  std::snprintf(
      buf, sizeof buf, "stillpost_request_seconds_sum %.6f\n",
      static_cast<double>(total([](const Slot& s) -> const auto& { return s.sum_micros; })) / 1e6);
  out += buf;
  out += "stillpost_request_seconds_count " + std::to_string(count) + "\n";
  out += "# TYPE stillpost_response_bytes_total counter\nstillpost_response_bytes_total " +
         std::to_string(total([](const Slot& s) -> const auto& { return s.bytes; })) + "\n";
  out += "# TYPE stillpost_store_posts gauge\nstillpost_store_posts " +
         std::to_string(stats.posts) + "\n";
  out += "# TYPE stillpost_store_captures gauge\nstillpost_store_captures " +
         std::to_string(stats.captures) + "\n";
  out += "# TYPE stillpost_store_blobs gauge\nstillpost_store_blobs " +
         std::to_string(stats.blobs) + "\n";
  out += "# TYPE stillpost_store_disk_bytes gauge\nstillpost_store_disk_bytes " +
         std::to_string(stats.disk_bytes) + "\n";
  return out;
}

}  // namespace stillpost::server
