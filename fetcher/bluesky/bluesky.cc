// Mapping Bluesky's getPostThread answer to our Post (../shared/PLATFORMS.md §3.2-3.3).
#include "fetcher/bluesky/bluesky.h"

#include <google/protobuf/util/time_util.h>
#include <utf8.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "common/post_key.h"
#include "common/post_ref.h"
#include "common/sha256.h"
#include "common/time.h"
#include "fetcher/detail/json_reader.h"
#include "fetcher/detail/links.h"
#include "fetcher/detail/timestamp.h"

namespace stillpost::fetcher::bluesky {
namespace {

namespace json = boost::json;
using detail::ForEachObject;
using detail::Reader;
using proto::Entity;
using proto::Media;
using proto::Post;

constexpr std::string_view kAppView = "https://public.api.bsky.app";
constexpr int kMaxNesting = 1;  // a quote is mapped; a quote inside a quote is only named
constexpr uint32_t kMaxDimension = 1u << 20;

using detail::Ts;

std::string Encode(std::string_view s) {
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

const json::value* Field(const json::value& v, std::string_view key) {
  if (!v.is_object()) return nullptr;
  return v.as_object().if_contains(key);
}

std::optional<uint64_t> NonNegative(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64() && v->as_int64() >= 0) return static_cast<uint64_t>(v->as_int64());
  return std::nullopt;
}

std::string StringField(const json::value& v, std::string_view key) {
  const json::value* f = Field(v, key);
  return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string();
}

// Facets to entities. Lenient by design: facets are client-written and malformed ones exist in
// the wild, so anything off is skipped rather than failing the capture.
std::vector<Entity> FacetEntities(const std::string& text, const json::array* facets) {
  std::vector<Entity> out;
  if (facets == nullptr) return out;
  for (const json::value& f : *facets) {
    const json::value* index = Field(f, "index");
    const json::value* features = Field(f, "features");
    if (index == nullptr || features == nullptr || !features->is_array()) continue;
    const auto start = NonNegative(Field(*index, "byteStart"));
    const auto end = NonNegative(Field(*index, "byteEnd"));
    if (!start || !end || *start >= *end || *end > text.size()) continue;
    if (IsContinuation(static_cast<unsigned char>(text[*start]))) continue;
    if (*end < text.size() && IsContinuation(static_cast<unsigned char>(text[*end]))) continue;
    Entity e;
    for (const json::value& feature : features->as_array()) {
      const std::string type = StringField(feature, "$type");
      if (type == "app.bsky.richtext.facet#mention") {
        const std::string did = StringField(feature, "did");
        if (did.empty()) continue;
        e.set_kind(Entity::KIND_MENTION);
        e.set_target("https://bsky.app/profile/" + did);
        e.set_target_id(did);
      } else if (type == "app.bsky.richtext.facet#link") {
        const std::string uri = StringField(feature, "uri");
        if (uri.empty()) continue;
        e.set_kind(Entity::KIND_LINK);
        e.set_target(uri);
      } else if (type == "app.bsky.richtext.facet#tag") {
        const std::string tag = StringField(feature, "tag");
        if (tag.empty()) continue;
        e.set_kind(Entity::KIND_HASHTAG);
        e.set_target("https://bsky.app/hashtag/" + Encode(tag));
        e.set_target_id(tag);
      } else {
        continue;
      }
      break;
    }
    if (e.kind() == Entity::KIND_UNSPECIFIED) continue;
    const auto* begin = text.data();
    e.set_start(static_cast<uint32_t>(utf8::unchecked::distance(begin, begin + *start)));
    e.set_end(static_cast<uint32_t>(utf8::unchecked::distance(begin, begin + *end)));
    out.push_back(std::move(e));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Entity& a, const Entity& b) { return a.start() < b.start(); });
  std::vector<Entity> kept;
  uint32_t last_end = 0;
  for (auto& e : out) {
    if (e.start() < last_end) continue;  // overlapping: keep the first
    last_end = e.end();
    kept.push_back(std::move(e));
  }
  return kept;
}

struct Mapper {
  Status error;
  std::string notes;  // fields dropped as malformed
  std::map<std::string, std::string> fallbacks;
  std::map<std::string, std::pair<std::string, std::string>> video_blobs;

  // bsky/DID/RKEY of an at:// URI; empty when it is not a post's.
  static std::string KeyOf(const std::string& uri) {
    auto ref = ParseBlueskyPostRef(uri);
    if (!ref || ref->did.empty()) return "";
    return "bsky/" + ref->did + "/" + ref->rkey;
  }

  void MapAuthor(const Reader& a, Post& post) {
    auto* author = post.mutable_author();
    author->set_id(a.String("did"));
    author->set_handle(a.String("handle"));
    author->set_display_name(a.String("displayName"));
    author->set_avatar_url(a.String("avatar"));
    if (!author->id().empty()) author->set_profile_url("https://bsky.app/profile/" + author->id());
    if (a.Object("verification").String("verifiedStatus") == "valid") {
      author->set_verified(proto::VERIFIED_OTHER);
    }
  }

  static void SetAspect(const Reader& r, Media& m) {
    const Reader ar = r.Object("aspectRatio");
    const auto w = ar.Count("width"), h = ar.Count("height");
    if (w && h && *w > 0 && *h > 0 && *w < kMaxDimension && *h < kMaxDimension) {
      m.set_width(static_cast<uint32_t>(*w));
      m.set_height(static_cast<uint32_t>(*h));
    }
  }

  void AddPhoto(const Reader& img, std::string_view thumb_key, Post& post) {
    Media m;
    m.set_kind(Media::KIND_PHOTO);
    const std::string full = img.String("fullsize");
    const std::string thumb = img.String(thumb_key);
    m.set_original_url(full.empty() ? thumb : full);
    if (!full.empty() && !thumb.empty() && thumb != full) fallbacks[full] = thumb;
    m.set_alt_text(img.String("alt"));
    SetAspect(img, m);
    if (m.original_url().empty()) m.set_failure("the image has no URL");
    *post.add_media() = std::move(m);
  }

  // A media view: images, gallery, video or external (a link card).
  void MapMediaView(const Reader& v, Post& post) {
    const std::string type = v.String("$type");
    if (type == "app.bsky.embed.images#view") {
      ForEachObject(v, "images", [&](const Reader& img) { AddPhoto(img, "thumb", post); });
    } else if (type == "app.bsky.embed.gallery#view") {
      ForEachObject(v, "items", [&](const Reader& img) { AddPhoto(img, "thumbnail", post); });
    } else if (type == "app.bsky.embed.video#view") {
      Media m;
      m.set_kind(Media::KIND_VIDEO);
      const std::string playlist = v.String("playlist");
      m.set_original_url(playlist);
      m.set_poster_url(v.String("thumbnail"));
      m.set_alt_text(v.String("alt"));
      SetAspect(v, m);
      const std::string cid = v.String("cid");
      if (!playlist.empty() && !cid.empty() && !post.author().id().empty()) {
        video_blobs[playlist] = {post.author().id(), cid};
      }
      *post.add_media() = std::move(m);
    } else if (type == "app.bsky.embed.external#view") {
      const Reader ext = v.Object("external");
      const std::string uri = ext.String("uri");
      if (uri.empty()) return;
      detail::FillLinkCard(*post.mutable_card(), uri, ext.String("title"),
                           ext.String("description"), ext.String("thumb"));
    }
  }

  // record#view's `record`: a post (quoted), or why it cannot be shown.
  void MapQuoted(const Reader& r, Post& post, int depth) {
    const std::string type = r.String("$type");
    const std::string uri = r.String("uri");
    post.set_quoted_key(KeyOf(uri));
    if (type == "app.bsky.embed.record#viewRecord") {
      if (depth < kMaxNesting) {
        MapPost(r, /*view_record=*/true, *post.mutable_quoted(), depth + 1);
      } else {
        post.set_quoted_unavailable("a quote inside a quote");
      }
    } else if (type == "app.bsky.embed.record#viewNotFound") {
      post.set_quoted_unavailable("deleted or not found");
    } else if (type == "app.bsky.embed.record#viewBlocked") {
      post.set_quoted_unavailable("blocked");
    } else if (type == "app.bsky.embed.record#viewDetached") {
      post.set_quoted_unavailable("removed from this post by its author");
    } else {
      post.set_quoted_unavailable("not a post (a feed, list or other record)");
    }
  }

  void MapEmbedView(const Reader& v, Post& post, int depth) {
    const std::string type = v.String("$type");
    if (type == "app.bsky.embed.record#view") {
      MapQuoted(v.Object("record"), post, depth);
    } else if (type == "app.bsky.embed.recordWithMedia#view") {
      MapMediaView(v.Object("media"), post);
      MapQuoted(v.Object("record").Object("record"), post, depth);
    } else {
      MapMediaView(v, post);
    }
  }

  // A postView (record in `record`, embed view in `embed`) or a viewRecord (`value`,
  // `embeds[0]`).
  void MapPost(const Reader& node, bool view_record, Post& post, int depth) {
    post.set_platform(proto::PLATFORM_BLUESKY);
    const std::string uri = node.String("uri");
    post.set_key(KeyOf(uri));
    if (post.key().empty()) {
      if (error.ok())
        error = InvalidArgumentError("upstream JSON: " + node.path() +
                                     ".uri is not a post's at:// URI");
      return;
    }
    auto parsed = ParsePostKey(post.key());
    post.set_id(parsed->id);
    post.set_url("https://bsky.app/profile/" + parsed->did + "/post/" + parsed->id);
    post.set_upstream_version(node.String("cid"));
    MapAuthor(node.Object("author"), post);
    const Reader record = node.Object(view_record ? "value" : "record");
    post.set_text(record.String("text"));
    post.mutable_entities()->Clear();
    for (auto& e : FacetEntities(post.text(), record.Array("facets"))) {
      *post.add_entities() = std::move(e);
    }
    if (auto ts = detail::TimeFrom(record.String("createdAt"), "createdAt", notes))
      *post.mutable_created_at() = *ts;
    if (!post.has_created_at()) {
      if (auto ts = detail::TimeFrom(node.String("indexedAt"), "indexedAt", notes))
        *post.mutable_created_at() = *ts;
    }
    if (const json::array* langs = record.Array("langs");
        langs != nullptr && !langs->empty() && (*langs)[0].is_string()) {
      post.set_lang(std::string((*langs)[0].as_string()));
    }
    const std::string parent = record.Object("reply").Object("parent").String("uri");
    if (!parent.empty()) post.set_reply_to_key(KeyOf(parent));
    ForEachObject(node, "labels", [&](const Reader& l) {
      if (const std::string v = l.String("val"); !v.empty()) post.add_labels(v);
    });
    auto* counts = post.mutable_counts();
    if (auto v = node.Count("replyCount")) counts->set_replies(*v);
    if (auto v = node.Count("repostCount")) counts->set_reposts(*v);
    if (auto v = node.Count("likeCount")) counts->set_likes(*v);
    if (auto v = node.Count("quoteCount")) counts->set_quotes(*v);
    if (view_record) {
      const json::array* embeds = node.Array("embeds");
      if (embeds != nullptr && !embeds->empty() && (*embeds)[0].is_object()) {
        MapEmbedView(Reader(&(*embeds)[0].as_object(), node.path() + ".embeds[0]", &error), post,
                     depth);
      }
    } else if (const Reader embed = node.Object("embed"); embed.present()) {
      MapEmbedView(embed, post, depth);
    }
  }
};

proto::Tombstone NotFound(std::string text) {
  proto::Tombstone t;
  t.set_kind(proto::Tombstone::KIND_NOT_FOUND);
  t.set_upstream_text(std::move(text));
  return t;
}

}  // namespace

std::string ResolveHandleUrl(std::string_view handle) {
  return std::string(kAppView) +
         "/xrpc/com.atproto.identity.resolveHandle?handle=" + Encode(handle);
}

Result<std::string> ParseResolveHandle(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return InvalidArgumentError("resolveHandle: malformed answer");
  const std::string did = StringField(v, "did");
  if (!ParsePostKey("bsky/" + did + "/x")) {
    return InvalidArgumentError("resolveHandle: no DID in the answer");
  }
  return did;
}

std::string PostThreadUrl(std::string_view did, std::string_view rkey) {
  return std::string(kAppView) + "/xrpc/app.bsky.feed.getPostThread?uri=" +
         Encode("at://" + std::string(did) + "/app.bsky.feed.post/" + std::string(rkey)) +
         "&depth=0&parentHeight=1";
}

std::string GetPostsUrl(std::span<const ParsedPostKey> keys) {
  std::string url = std::string(kAppView) + "/xrpc/app.bsky.feed.getPosts";
  char sep = '?';
  for (const auto& k : keys) {
    url += sep;
    url += "uris=" + Encode("at://" + k.did + "/app.bsky.feed.post/" + k.id);
    sep = '&';
  }
  return url;
}

Result<std::map<std::string, std::string>> ParseGetPosts(std::string_view body) {
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec || !root.is_object()) return InvalidArgumentError("getPosts: malformed answer");
  const json::value* posts = root.as_object().if_contains("posts");
  if (posts == nullptr || !posts->is_array()) return InvalidArgumentError("getPosts: no posts");
  std::map<std::string, std::string> out;
  for (const auto& p : posts->as_array()) {
    const std::string uri = StringField(p, "uri");
    const std::string cid = StringField(p, "cid");
    const std::string_view prefix = "at://";
    const size_t collection = uri.find("/app.bsky.feed.post/");
    if (!uri.starts_with(prefix) || collection == std::string::npos || cid.empty()) continue;
    const std::string did = uri.substr(prefix.size(), collection - prefix.size());
    const std::string rkey =
        uri.substr(collection + std::string_view("/app.bsky.feed.post/").size());
    const std::string key = "bsky/" + did + "/" + rkey;
    if (!ParsePostKey(key)) continue;
    out[key] = cid;
  }
  return out;
}

Result<MappedPost> MapPostThread(std::string_view body, std::string_view did,
                                 std::string_view rkey) {
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec) return InvalidArgumentError("upstream JSON is malformed: " + ec.message());
  if (!root.is_object()) return InvalidArgumentError("upstream JSON is not an object");
  Mapper m;
  const Reader top(&root.as_object(), "response", &m.error);
  const Reader thread = top.Object("thread");
  if (!m.error.ok()) return m.error;
  if (!thread.present()) return InvalidArgumentError("upstream JSON: response.thread is missing");
  MappedPost out;
  const std::string type = thread.String("$type");
  if (type == "app.bsky.feed.defs#notFoundPost" || thread.Bool("notFound")) {
    out.gone = true;
    out.tombstone = NotFound("Post not found");
    return out;
  }
  if (type == "app.bsky.feed.defs#blockedPost" || thread.Bool("blocked")) {
    out.gone = true;
    out.tombstone.set_kind(proto::Tombstone::KIND_UNKNOWN);
    out.tombstone.set_upstream_text("Post is blocked");
    return out;
  }
  const Reader post = thread.Object("post");
  if (!post.present())
    return InvalidArgumentError("upstream JSON: response.thread.post is missing");
  m.MapPost(post, /*view_record=*/false, out.post, 0);
  if (!m.error.ok()) return m.error;
  const std::string want = "bsky/" + std::string(did) + "/" + std::string(rkey);
  if (out.post.key() != want) {
    return InvalidArgumentError("upstream answered with " + out.post.key() + " for " + want);
  }
  // The parent, when the thread has it, names who is being replied to.
  const Reader parent = thread.Object("parent");
  if (parent.present() && !out.post.reply_to_key().empty()) {
    out.post.set_reply_to_handle(parent.Object("post").Object("author").String("handle"));
  }
  if (!m.error.ok()) return m.error;
  out.note = std::move(m.notes);
  out.fallbacks = std::move(m.fallbacks);
  out.video_blobs = std::move(m.video_blobs);
  return out;
}

std::optional<proto::Tombstone> TombstoneFor(int http_status, std::string_view body) {
  if (http_status != 400 && http_status != 404) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return std::nullopt;
  const std::string error = StringField(v, "error");
  if (error != "NotFound") return std::nullopt;
  std::string message = StringField(v, "message");
  if (message.empty()) message = "Post not found";
  return NotFound(message + " (XRPC NotFound)");
}

std::string DidDocumentUrl(std::string_view did) {
  if (did.rfind("did:plc:", 0) == 0) return "https://plc.directory/" + std::string(did);
  if (did.rfind("did:web:", 0) == 0) {
    const std::string host(did.substr(8));
    if (host.find_first_of("/:%") != std::string::npos || host.empty()) return "";
    return "https://" + host + "/.well-known/did.json";
  }
  return "";
}

Result<std::string> PdsFromDidDocument(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return InvalidArgumentError("DID document: malformed");
  const json::value* services = Field(v, "service");
  if (services != nullptr && services->is_array()) {
    for (const json::value& s : services->as_array()) {
      const std::string id = StringField(s, "id");
      if (id.size() < 12 || id.compare(id.size() - 12, 12, "#atproto_pds") != 0) continue;
      std::string endpoint = StringField(s, "serviceEndpoint");
      auto u = boost::urls::parse_absolute_uri(endpoint);
      if (!u || (u->scheme() != "https" && u->scheme() != "http") || u->host().empty()) break;
      while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
      return endpoint;
    }
  }
  return InvalidArgumentError("DID document: no atproto PDS endpoint");
}

std::string GetBlobUrl(std::string_view pds, std::string_view did, std::string_view cid) {
  return std::string(pds) + "/xrpc/com.atproto.sync.getBlob?did=" + Encode(did) +
         "&cid=" + Encode(cid);
}

std::optional<bool> BlobMatchesCid(std::string_view data, std::string_view cid) {
  // CIDv1 in multibase base32 ('b'): version 0x01, codec raw 0x55, multihash sha2-256 0x12 0x20.
  if (cid.size() < 2 || cid[0] != 'b') return std::nullopt;
  std::string bytes;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : cid.substr(1)) {
    int value;
    if (c >= 'a' && c <= 'z') {
      value = c - 'a';
    } else if (c >= '2' && c <= '7') {
      value = c - '2' + 26;
    } else {
      return std::nullopt;
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(value);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if (bytes.size() != 36 || bytes[0] != 0x01 || bytes[1] != 0x55 || bytes[2] != 0x12 ||
      bytes[3] != 0x20) {
    return std::nullopt;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (size_t i = 4; i < bytes.size(); ++i) {
    hex += kHex[(static_cast<unsigned char>(bytes[i]) >> 4) & 0xF];
    hex += kHex[static_cast<unsigned char>(bytes[i]) & 0xF];
  }
  return hex == Sha256Hex(data);
}

}  // namespace stillpost::fetcher::bluesky
