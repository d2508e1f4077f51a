// Mapping X's syndication tweet-result JSON to our Post (../shared/PLATFORMS.md §1.2-1.3).
#include <google/protobuf/util/time_util.h>
#include <utf8.h>

#include <algorithm>
#include <boost/algorithm/string/case_conv.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <limits>
#include <optional>

#include "common/time.h"
#include "fetcher/detail/json_reader.h"
#include "fetcher/detail/timestamp.h"
#include "fetcher/x/x.h"

namespace stillpost::fetcher::x {
namespace {

namespace json = boost::json;
using detail::Reader;
using proto::Entity;
using proto::Media;
using proto::Post;

constexpr int kMaxNesting = 2;                             // a quote inside a quote, no deeper
constexpr uint64_t kMaxVideoEstimateBytes = 512ull << 20;  // matches HttpLimits::max_video_bytes

// [a, b] with 0 <= a <= b, from a two-element list of integers; nullopt when malformed.
std::optional<std::pair<uint32_t, uint32_t>> Range(const json::value* v) {
  if (v == nullptr || !v->is_array() || v->as_array().size() != 2) return std::nullopt;
  const auto& a = v->as_array();
  if (!a[0].is_int64() || !a[1].is_int64()) return std::nullopt;
  const int64_t s = a[0].as_int64(), e = a[1].as_int64();
  if (s < 0 || e < s || e > std::numeric_limits<uint32_t>::max()) return std::nullopt;
  return std::make_pair(static_cast<uint32_t>(s), static_cast<uint32_t>(e));
}

// Text as code points with the HTML escapes X leaves in it (&amp; &lt; &gt;) undone, and a map
// from each code-point offset of the escaped text to the offset in the unescaped one.
struct Unescaped {
  std::u32string text;
  std::vector<uint32_t> offset;  // escaped offset -> unescaped offset; size escaped + 1
};

Unescaped Unescape(const std::string& utf8) {
  std::u32string in;
  utf8::utf8to32(utf8.begin(), utf8.end(), std::back_inserter(in));
  static const std::pair<std::u32string_view, char32_t> kEscapes[] = {
      {U"&amp;", U'&'}, {U"&lt;", U'<'}, {U"&gt;", U'>'}, {U"&quot;", U'"'}, {U"&#39;", U'\''}};
  Unescaped out;
  out.offset.reserve(in.size() + 1);
  for (size_t i = 0; i < in.size();) {
    bool matched = false;
    if (in[i] == U'&') {
      for (const auto& [esc, ch] : kEscapes) {
        if (std::u32string_view(in).substr(i, esc.size()) == esc) {
          for (size_t k = 0; k < esc.size(); ++k) {
            out.offset.push_back(static_cast<uint32_t>(out.text.size()));
          }
          out.text.push_back(ch);
          i += esc.size();
          matched = true;
          break;
        }
      }
    }
    if (!matched) {
      out.offset.push_back(static_cast<uint32_t>(out.text.size()));
      out.text.push_back(in[i]);
      ++i;
    }
  }
  out.offset.push_back(static_cast<uint32_t>(out.text.size()));
  return out;
}

std::string ToUtf8(std::u32string_view s) {
  std::string out;
  utf8::utf32to8(s.begin(), s.end(), std::back_inserter(out));
  return out;
}

using detail::Ts;

// "https://pbs.twimg.com/media/FsZNOgcWAAEQtrd.jpg" -> "...FsZNOgcWAAEQtrd?format=jpg&name=NAME"
std::string PhotoUrl(const std::string& media_url, std::string_view name) {
  const size_t slash = media_url.rfind('/');
  const size_t dot = media_url.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) {
    return media_url;
  }
  return media_url.substr(0, dot) + "?format=" + media_url.substr(dot + 1) +
         "&name=" + std::string(name);
}

struct Mapper {
  Status error;
  std::string notes;  // fields dropped as malformed
  std::map<std::string, std::string> fallbacks;

  void MapUser(const Reader& user, Post& post) {
    auto* a = post.mutable_author();
    a->set_id(user.String("id_str"));
    a->set_handle(user.String("screen_name"));
    a->set_display_name(user.String("name"));
    const std::string avatar = user.String("profile_image_url_https");
    if (!avatar.empty()) {
      // The API gives the 48 px variant; the 400x400 one is what an archive wants.
      const size_t normal = avatar.rfind("_normal.");
      if (normal != std::string::npos) {
        std::string big = avatar;
        big.replace(normal, 7, "_400x400");
        a->set_avatar_url(big);
        fallbacks[big] = avatar;
      } else {
        a->set_avatar_url(avatar);
      }
    }
    if (!a->handle().empty()) a->set_profile_url("https://x.com/" + a->handle());
    const std::string type = user.String("verified_type");
    if (type == "Business") {
      a->set_verified(proto::VERIFIED_BUSINESS);
    } else if (type == "Government") {
      a->set_verified(proto::VERIFIED_GOVERNMENT);
    } else if (user.Bool("is_blue_verified")) {
      a->set_verified(proto::VERIFIED_BLUE);
    } else if (user.Bool("verified")) {
      a->set_verified(proto::VERIFIED_LEGACY);
    }
    const Reader label = user.Object("highlighted_label");
    if (label.present()) a->set_label(label.String("description"));
  }

  // Entities of one kind: each [start, end) in escaped code points.
  template <typename F>
  void ForEach(const Reader& entities, std::string_view key, F f) {
    const json::array* list = entities.Array(key);
    if (list == nullptr) return;
    for (const json::value& item : *list) {
      if (!item.is_object()) {
        entities.Bad(key, "a list of objects");
        return;
      }
      Reader r(&item.as_object(), entities.path() + "." + std::string(key), &error);
      auto range = Range(r.Get("indices"));
      if (!range) continue;  // malformed indices: skip the entity, keep the post
      f(r, range->first, range->second);
    }
  }

  void MapMedia(const json::array* details, const std::string& path, Post& post) {
    if (details == nullptr) return;
    for (const json::value& item : *details) {
      if (!item.is_object()) continue;
      Reader d(&item.as_object(), path, &error);
      const std::string type = d.String("type");
      const std::string media_url = d.String("media_url_https");
      Media m;
      const Reader original = d.Object("original_info");
      m.set_width(detail::Dimension(original.Count("width")));
      m.set_height(detail::Dimension(original.Count("height")));
      m.set_alt_text(d.String("ext_alt_text"));
      if (type == "photo") {
        if (media_url.empty()) continue;
        m.set_kind(Media::KIND_PHOTO);
        const std::string orig = PhotoUrl(media_url, "orig");
        m.set_original_url(orig);
        fallbacks[orig] = PhotoUrl(media_url, "large");
      } else if (type == "video" || type == "animated_gif") {
        m.set_kind(type == "video" ? Media::KIND_VIDEO : Media::KIND_GIF);
        const Reader info = d.Object("video_info");
        const uint64_t duration = info.Count("duration_millis").value_or(0);
        m.set_duration_ms(static_cast<uint32_t>(std::min<uint64_t>(duration, UINT32_MAX)));
        // mp4 variants, best first; the HLS playlist has no bitrate and is not archivable as is.
        std::vector<std::pair<uint64_t, std::string>> mp4;
        if (const json::array* variants = info.Array("variants")) {
          for (const json::value& v : *variants) {
            if (!v.is_object()) continue;
            Reader var(&v.as_object(), path + ".video_info.variants", &error);
            if (var.String("content_type") != "video/mp4") continue;
            const std::string url = var.String("url");
            if (!url.empty()) mp4.emplace_back(var.Count("bitrate").value_or(0), url);
          }
        }
        std::sort(mp4.begin(), mp4.end(),
                  [](const auto& a, const auto& b) { return a.first > b.first; });
        // Skip variants whose estimated size is over the cap.
        const double seconds = static_cast<double>(duration) / 1000.0;
        auto too_big = [&](uint64_t bitrate) {
          return static_cast<double>(bitrate) / 8.0 * seconds >
                 static_cast<double>(kMaxVideoEstimateBytes);
        };
        size_t first = 0;
        while (first < mp4.size() && too_big(mp4[first].first)) ++first;
        if (first < mp4.size()) {
          m.set_original_url(mp4[first].second);
          for (size_t i = first; i + 1 < mp4.size(); ++i)
            fallbacks[mp4[i].second] = mp4[i + 1].second;
        }
        m.set_mime("video/mp4");
        if (!media_url.empty()) m.set_poster_url(media_url);
      } else {
        continue;
      }
      *post.add_media() = std::move(m);
    }
  }

  void MapCard(const Reader& card, const std::vector<std::pair<std::string, std::string>>& urls,
               Post& post) {
    if (!card.present()) return;
    const Reader values = card.Object("binding_values");
    auto str = [&](std::string_view key) {
      const Reader v = values.Object(key);
      return v.String("string_value");
    };
    auto* c = post.mutable_card();
    c->set_url(card.String("url"));
    for (const auto& [short_url, expanded] : urls) {
      if (short_url == c->url()) c->set_expanded_url(expanded);
    }
    c->set_title(str("title"));
    c->set_description(str("description"));
    c->set_domain(str("domain").empty() ? str("vanity_url") : str("domain"));
    for (const char* key : {"photo_image_full_size_large", "summary_photo_image_large",
                            "thumbnail_image_large", "photo_image_full_size", "thumbnail_image"}) {
      const Reader image = values.Object(key).Object("image_value");
      const std::string url = image.String("url");
      if (url.empty()) continue;
      c->set_image_url(url);
      c->set_image_width(static_cast<uint32_t>(image.Count("width").value_or(0)));
      c->set_image_height(static_cast<uint32_t>(image.Count("height").value_or(0)));
      c->set_image_alt(image.String("alt"));
      break;
    }
    if (c->title().empty() && c->image_url().empty()) post.clear_card();
  }

  void MapTweet(const Reader& t, Post& post, int depth) {
    const std::string id = t.String("id_str");
    post.set_platform(proto::PLATFORM_X);
    post.set_id(id);
    if (!id.empty()) post.set_key("x/" + id);
    MapUser(t.Object("user"), post);
    post.set_url(CanonicalUrl(id, post.author().handle()));
    if (auto ts = detail::TimeFrom(t.String("created_at"), "created_at", notes))
      *post.mutable_created_at() = *ts;
    post.set_lang(t.String("lang"));
    post.set_sensitive(t.Bool("possibly_sensitive"));
    if (t.Object("note_tweet").present()) post.set_text_truncated(true);

    auto* counts = post.mutable_counts();
    if (auto n = t.Count("favorite_count")) counts->set_likes(*n);
    if (auto n = t.Count("retweet_count")) counts->set_reposts(*n);
    if (auto n = t.Count("quote_count")) counts->set_quotes(*n);
    if (auto n = t.Count("reply_count")) {
      counts->set_replies(*n);
    } else if (auto c = t.Count("conversation_count")) {
      counts->set_replies(*c);
    }

    // Text: the display range, unescaped, with entities moved into it.
    const Unescaped un = Unescape(t.String("text"));
    const auto escaped_len = static_cast<uint32_t>(un.offset.size() - 1);
    uint32_t begin = 0, end = escaped_len;
    if (auto range = Range(t.Get("display_text_range"))) {
      begin = std::min(range->first, escaped_len);
      end = std::min(std::max(range->second, begin), escaped_len);
    }
    const Reader entities = t.Object("entities");
    // Media t.co links that fall inside the range end it (react-tweet's fixRange).
    bool cut_by_media = false;
    ForEach(entities, "media", [&](const Reader&, uint32_t s, uint32_t) {
      if (s >= begin && s < end) {
        end = s;
        cut_by_media = true;
      }
    });
    if (cut_by_media) {  // and the white space that separated the text from the media link
      while (end > begin && un.offset[end] > 0 &&
             (un.text[un.offset[end] - 1] == U' ' || un.text[un.offset[end] - 1] == U'\n')) {
        --end;
      }
    }
    const uint32_t ubegin = un.offset[begin], uend = un.offset[end];
    post.set_text(ToUtf8(std::u32string_view(un.text).substr(ubegin, uend - ubegin)));

    std::vector<Entity> list;
    std::vector<std::pair<std::string, std::string>> urls;  // t.co -> expanded, for the card
    auto add = [&](Entity::Kind kind, uint32_t s, uint32_t e) -> Entity* {
      if (s < begin || e > end || s >= e || e > escaped_len) return nullptr;
      Entity ent;
      ent.set_kind(kind);
      ent.set_start(un.offset[s] - ubegin);
      ent.set_end(un.offset[e] - ubegin);
      list.push_back(std::move(ent));
      return &list.back();
    };
    ForEach(entities, "hashtags", [&](const Reader& r, uint32_t s, uint32_t e) {
      const std::string tag = r.String("text");
      if (Entity* ent = add(Entity::KIND_HASHTAG, s, e)) {
        ent->set_target_id(tag);
        ent->set_target("https://x.com/hashtag/" + tag);
      }
    });
    ForEach(entities, "symbols", [&](const Reader& r, uint32_t s, uint32_t e) {
      const std::string sym = r.String("text");
      if (Entity* ent = add(Entity::KIND_CASHTAG, s, e)) {
        ent->set_target_id(sym);
        ent->set_target("https://x.com/search?q=%24" + sym);
      }
    });
    ForEach(entities, "user_mentions", [&](const Reader& r, uint32_t s, uint32_t e) {
      const std::string name = r.String("screen_name");
      if (Entity* ent = add(Entity::KIND_MENTION, s, e)) {
        ent->set_target_id(r.String("id_str"));
        ent->set_target("https://x.com/" + name);
      }
    });
    ForEach(entities, "urls", [&](const Reader& r, uint32_t s, uint32_t e) {
      const std::string expanded = r.String("expanded_url");
      urls.emplace_back(r.String("url"), expanded);
      if (Entity* ent = add(Entity::KIND_LINK, s, e)) {
        ent->set_target(expanded.empty() ? r.String("url") : expanded);
        ent->set_display(r.String("display_url"));
      }
    });
    std::sort(list.begin(), list.end(),
              [](const Entity& a, const Entity& b) { return a.start() < b.start(); });
    uint32_t last_end = 0;
    for (auto& ent : list) {
      if (ent.start() < last_end) continue;  // overlapping entities: keep the first
      last_end = ent.end();
      *post.add_entities() = std::move(ent);
    }

    // Replies: the mention prefix before the range names the parent's author.
    const std::string parent_id = t.String("in_reply_to_status_id_str");
    if (!parent_id.empty()) {
      post.set_reply_to_key("x/" + parent_id);
      post.set_reply_to_handle(t.String("in_reply_to_screen_name"));
    }

    MapMedia(t.Array("mediaDetails"), t.path() + ".mediaDetails", post);
    MapCard(t.Object("card"), urls, post);

    const Reader edit = t.Object("edit_control");
    const json::array* edits = edit.Array("edit_tweet_ids");
    if (t.Bool("isEdited") || (edits != nullptr && edits->size() > 1)) {
      // The syndication API answers with the latest version: it was written at created_at.
      if (post.has_created_at()) *post.mutable_edited_at() = post.created_at();
    }
    if (edits != nullptr && !edits->empty() && edits->back().is_string()) {
      post.set_upstream_version(std::string(edits->back().as_string()));
    }

    if (depth < kMaxNesting) {
      const Reader quoted = t.Object("quoted_tweet");
      if (quoted.present()) {
        if (quoted.String("__typename") == "TweetTombstone") {
          post.set_quoted_unavailable(TombstoneText(quoted));
          // The quote's own link, left in the entities, still says which post it was.
          for (const auto& [short_url, expanded] : urls) {
            if (auto qid = ParsePostRef(expanded)) post.set_quoted_key("x/" + *qid);
          }
        } else {
          MapTweet(quoted, *post.mutable_quoted(), depth + 1);
          post.set_quoted_key(post.quoted().key());
        }
      }
      const Reader parent = t.Object("parent");
      if (parent.present() && parent.String("__typename") != "TweetTombstone") {
        MapTweet(parent, *post.mutable_reply_to(), depth + 1);
        if (post.reply_to_key().empty()) post.set_reply_to_key(post.reply_to().key());
        if (post.reply_to_handle().empty()) {
          post.set_reply_to_handle(post.reply_to().author().handle());
        }
      }
    }
  }

  // X's words, less the "Learn more" it ends them with: the text of a link to its help page,
  // which means nothing once the words are shown without the link.
  static std::string TombstoneText(const Reader& t) {
    std::string text = t.Object("tombstone").Object("text").String("text");
    constexpr std::string_view kLink = "Learn more";
    if (text.size() > kLink.size() &&
        text.compare(text.size() - kLink.size(), kLink.size(), kLink) == 0) {
      text.resize(text.size() - kLink.size());
      while (!text.empty() && text.back() == ' ') text.pop_back();
    }
    return text;
  }
};

}  // namespace

proto::Tombstone::Kind TombstoneKindFromText(std::string_view text) {
  const std::string lower = boost::algorithm::to_lower_copy(std::string(text));
  if (lower.find("deleted") != std::string::npos) return proto::Tombstone::KIND_DELETED;
  if (lower.find("suspended") != std::string::npos) return proto::Tombstone::KIND_SUSPENDED;
  if (lower.find("withheld") != std::string::npos) return proto::Tombstone::KIND_WITHHELD;
  if (lower.find("protected") != std::string::npos ||
      lower.find("limits who can view") != std::string::npos) {
    return proto::Tombstone::KIND_PROTECTED;
  }
  return proto::Tombstone::KIND_UNKNOWN;
}

Result<MappedTweet> MapTweetResult(std::string_view body) {
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec) return InvalidArgumentError("upstream JSON is malformed: " + ec.message());
  if (!root.is_object()) return InvalidArgumentError("upstream JSON is not an object");
  Mapper m;
  Reader top(&root.as_object(), "tweet", &m.error);
  MappedTweet out;
  const std::string type = top.String("__typename");
  if (root.as_object().empty()) {
    out.gone = true;
    out.tombstone.set_kind(proto::Tombstone::KIND_NOT_FOUND);
    return out;
  }
  if (type == "TweetTombstone") {
    out.gone = true;
    out.tombstone.set_upstream_text(Mapper::TombstoneText(top));
    out.tombstone.set_kind(TombstoneKindFromText(out.tombstone.upstream_text()));
    if (!m.error.ok()) return m.error;
    return out;
  }
  if (!type.empty() && type != "Tweet") {
    return InvalidArgumentError("upstream JSON: unexpected __typename " + type);
  }
  m.MapTweet(top, out.post, 0);
  if (!m.error.ok()) return m.error;
  if (out.post.id().empty()) return InvalidArgumentError("upstream JSON: tweet.id_str is missing");
  out.note = std::move(m.notes);
  out.fallbacks = std::move(m.fallbacks);
  return out;
}

}  // namespace stillpost::fetcher::x
