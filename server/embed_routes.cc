#include <google/protobuf/arena.h>

#include <algorithm>
#include <charconv>

#include "archive/serving.h"
#include "common/sha256.h"
#include "embed/render.h"
#include "proto/time.h"
#include "server/detail/respond.h"
#include "server/routes.h"

namespace stillpost::server {

using proto::MicrosOf;

using detail::Error;
using detail::Json;

// embed.js: one script, its ETag and gzip made once.
Response Router::EmbedJs(const Request& req) {
  static const std::string etag = "\"" + Sha256Hex(embed::EmbedJs()).substr(0, 20) + "\"";
  static const std::string gzipped = detail::Gzip(embed::EmbedJs());
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

// /embed/KEY[?theme=&hide_media=&hide_thread=&capture=TIME]: the latest capture (or the one a
// reader saw at TIME), rendered once per state and options and kept in the render cache.
Response Router::Embed(const Request& req, std::string_view key_in, const Query& q) {
  const std::string key(key_in);
  embed::EmbedOptions opts;
  opts.base_path = base_path_;
  std::string pinned;
  // Most embeds are requested without options.
  if (!q.empty()) {
    const std::string theme = q.Get("theme");
    opts.theme = theme == "dark" ? embed::Theme::kDark
                                 : (theme == "light" ? embed::Theme::kLight : embed::Theme::kAuto);
    opts.hide_media = q.Flag("hide_media");
    opts.hide_thread = q.Flag("hide_thread");
    pinned = q.Get("capture");
    // A '+' of a time offset arrives as a space when the query was not percent-encoded.
    std::replace(pinned.begin(), pinned.end(), ' ', '+');
  }
  // Memento TimeGate (RFC 7089, 4.2.1): the embed as it was at Accept-Datetime is the newest
  // capture at or before it, to which the client is sent.
  if (pinned.empty() && !req.accept_datetime.empty()) {
    auto at = ParseHttpDate(req.accept_datetime);
    if (!at) return Error(400, at.error().message());
    auto memento = store_.GoodCaptureAtOrBefore(key, *at);
    if (!memento) return Error(memento.error());
    Response r;
    r.status = 302;
    std::string location = options_.public_base + "/embed/" + key +
                           "?capture=" + FormatRfc3339(MicrosOf(memento->captured_at()));
    r.Set("Location", std::move(location));
    r.Set("Vary", "Accept-Datetime");
    r.Set("Link", MementoLinks(key, memento->post().url()));
    r.Set("Cache-Control", "public, max-age=60");
    r.Set("Content-Type", "text/plain; charset=utf-8");
    r.body = "the capture at or before " + std::string(req.accept_datetime) + "\n";
    return r;
  }
  // Everything up to the 304 and the cache is decided from the state alone: the latest capture,
  // read with it, is decompressed only when the page must be rendered.
  auto served = archive::ServingReader(store_).StateForServing(key);
  if (!served) return Error(served.error());
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
      return Error(pinned_capture.error());
    }
    shown_at = MicrosOf(pinned_capture->captured_at());
    opts.pinned = true;
    // Later captures are taken later than now: a time in the past always names this capture.
    immutable = *at <= NowMicros();
  } else {
    if (!shown_state.has_latest_good_at()) return Error(404, key + " was never captured whole");
    shown_at = MicrosOf(shown_state.latest_good_at());
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
  add(MicrosOf(shown_state.gone_since()), '-');
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
  r.Set("Cache-Control", immutable ? detail::kPinnedCache : detail::kLatestCache);
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
      if (!latest) return Error(latest.error());
      capture = *latest;
    } else {
      capture = &*pinned_capture;
    }
    if (!capture->has_post()) return Error(404, "that capture records the post as gone");
    auto made = std::make_shared<detail::Rendered>();
    made->html = embed::RenderEmbed(embed::EmbedInput{shown_state, *capture}, opts);
    made->link = MementoLinks(key, capture->post().url());
    rendered = std::move(made);
    cache_->Put(cache_key, rendered);
  }
  r.Set("Vary", pinned.empty() ? "Accept-Encoding, Accept-Datetime" : "Accept-Encoding");
  if (!rendered->link.empty()) r.Set("Link", rendered->link);
  if (opts.pinned) r.Set("Memento-Datetime", FormatHttpDate(shown_at));
  const bool gzip = AcceptsGzip(req.accept_encoding) && !rendered->Gzipped().empty();
  if (gzip) r.Set("Content-Encoding", "gzip");
  // The body is the cached entry's own string: no copy per request.
  r.shared_body =
      std::shared_ptr<const std::string>(rendered, gzip ? &rendered->Gzipped() : &rendered->html);
  return r;
}

}  // namespace stillpost::server
