// Mapping a Mastodon Status to our Post (../shared/PLATFORMS.md §2.2).
#include "fetcher/mastodon/mastodon.h"

#include <google/protobuf/util/time_util.h>

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <cmath>

#include "common/post_key.h"
#include "common/time.h"
#include "fetcher/detail/json_reader.h"
#include "fetcher/detail/links.h"
#include "fetcher/detail/timestamp.h"
#include "fetcher/html_text.h"

namespace stillpost::fetcher::mastodon {
namespace {

namespace json = boost::json;
using detail::ForEachObject;
using detail::HostOf;
using detail::Reader;
using proto::Entity;
using proto::Media;
using proto::Post;

constexpr int kMaxNesting = 1;  // a quote is mapped, a quote inside it only named
constexpr double kMaxDurationSeconds = 24 * 3600;

using detail::Ts;

std::vector<std::pair<std::string, std::string>> Emoji(const Reader& r) {
  std::vector<std::pair<std::string, std::string>> out;
  ForEachObject(r, "emojis", [&](const Reader& e) {
    std::string url = e.String("static_url");
    if (url.empty()) url = e.String("url");
    const std::string code = e.String("shortcode");
    if (!code.empty() && !url.empty()) out.emplace_back(code, url);
  });
  return out;
}

struct Mapper {
  std::string host;
  Status error;
  std::string notes;  // fields dropped as malformed
  std::map<std::string, std::string> fallbacks;

  // acct with the server's domain: "bob" on HOST is bob@HOST.
  std::string FullAcct(const std::string& acct) const {
    if (acct.empty() || acct.find('@') != std::string::npos) return acct;
    return acct + "@" + host;
  }

  std::string KeyOf(const std::string& id) {
    const std::string key = "mastodon/" + host + "/" + id;
    return ParsePostKey(key) ? key : std::string();
  }

  void MapAccount(const Reader& a, Post& post) {
    auto* author = post.mutable_author();
    author->set_id(a.String("id"));
    std::string acct = a.String("acct");
    const std::string profile = a.String("url");
    if (acct.find('@') == std::string::npos) {
      // Local accounts have no domain in acct; the handle shows it anyway: @user@host.
      std::string domain = HostOf(profile);
      if (domain.empty()) domain = host;
      if (!acct.empty()) acct += "@" + domain;
    }
    author->set_handle(acct);
    author->set_display_name(a.String("display_name"));
    author->set_profile_url(profile);
    if (a.Bool("bot")) author->set_label("Automated");
    std::string avatar = a.String("avatar");
    const std::string still = a.String("avatar_static");
    if (avatar.empty()) avatar = still;
    if (!avatar.empty()) {
      author->set_avatar_url(avatar);
      if (!still.empty() && still != avatar) fallbacks[avatar] = still;
    }
    std::vector<Entity> name_entities;
    AddCustomEmoji(author->display_name(), Emoji(a), name_entities);
    for (auto& e : name_entities) *author->add_name_entities() = std::move(e);
  }

  void MapMedia(const Reader& m, Post& post) {
    const std::string type = m.String("type");
    Media media;
    if (type == "image") {
      media.set_kind(Media::KIND_PHOTO);
    } else if (type == "gifv") {
      media.set_kind(Media::KIND_GIF);
    } else if (type == "video") {
      media.set_kind(Media::KIND_VIDEO);
    } else if (type == "audio") {
      media.set_kind(Media::KIND_AUDIO);
    } else {
      media.set_failure("an attachment of a type stillpost does not archive (" + type + ")");
    }
    std::string url = m.String("url");
    const std::string remote = m.String("remote_url");
    if (url.empty()) url = remote;  // still processing on this server
    if (media.kind() != Media::KIND_UNSPECIFIED) {
      media.set_original_url(url);
      if (!remote.empty() && remote != url) fallbacks[url] = remote;
      if (url.empty()) media.set_failure("the server gave no URL (still processing?)");
    }
    if (media.kind() == Media::KIND_VIDEO || media.kind() == Media::KIND_GIF) {
      media.set_poster_url(m.String("preview_url"));
    }
    media.set_alt_text(m.String("description"));
    const Reader meta = m.Object("meta");
    const Reader original = meta.Object("original");
    auto dim = [&](std::string_view k) {
      auto v = original.Count(k);
      if (!v) v = meta.Count(k);
      return detail::Dimension(v);
    };
    media.set_width(dim("width"));
    media.set_height(dim("height"));
    for (const Reader* r : {&original, &meta}) {
      const json::value* d = r->Get("duration");
      if (d != nullptr && d->is_number()) {
        const double s = d->to_number<double>();
        if (s > 0 && s < kMaxDurationSeconds) {
          media.set_duration_ms(static_cast<uint32_t>(std::lround(s * 1000)));
          break;
        }
      }
    }
    *post.add_media() = std::move(media);
  }

  void MapCard(const Reader& c, Post& post) {
    const std::string url = c.String("url");
    if (url.empty()) return;
    auto* card = post.mutable_card();
    detail::FillLinkCard(*card, url, c.String("title"), c.String("description"), c.String("image"));
    if (!card->image_url().empty()) {
      const auto w = c.Count("width"), h = c.Count("height");
      if (w && h && *w > 0 && *h > 0 && *w < (1u << 20) && *h < (1u << 20)) {
        card->set_image_width(static_cast<uint32_t>(*w));
        card->set_image_height(static_cast<uint32_t>(*h));
      }
    }
    // card.html (an iframe from the linked site) is never kept.
  }

  void MapPoll(const Reader& p, Post& post) {
    auto* poll = post.mutable_poll();
    ForEachObject(p, "options", [&](const Reader& o) {
      auto* opt = poll->add_options();
      opt->set_title(o.String("title"));
      if (auto v = o.Count("votes_count")) opt->set_votes(*v);
    });
    if (auto ts = detail::TimeFrom(p.String("expires_at"), "poll expires_at", notes))
      *poll->mutable_expires_at() = *ts;
    poll->set_expired(p.Bool("expired"));
    poll->set_multiple(p.Bool("multiple"));
    if (auto v = p.Count("voters_count")) poll->set_voters(*v);
  }

  void MapQuote(const Reader& q, Post& post, int depth) {
    const std::string state = q.String("state");
    const Reader quoted = q.Object("quoted_status");
    std::string id = quoted.present() ? quoted.String("id") : q.String("quoted_status_id");
    if (id.empty() && !quoted.present()) {
      if (!state.empty()) post.set_quoted_unavailable(state);
      return;
    }
    post.set_quoted_key(KeyOf(id));
    if (quoted.present() && (state.empty() || state == "accepted") && depth < kMaxNesting) {
      MapStatusInto(quoted, *post.mutable_quoted(), depth + 1);
      return;
    }
    if (!state.empty() && state != "accepted") {
      post.set_quoted_unavailable(state);
    } else if (!quoted.present()) {
      post.set_quoted_unavailable("not included in the server's answer");
    }
  }

  void MapStatusInto(const Reader& s, Post& post, int depth) {
    post.set_platform(proto::PLATFORM_MASTODON);
    const std::string id = s.String("id");
    post.set_id(id);
    post.set_key(KeyOf(id));
    if (post.key().empty() && error.ok()) {
      error = InvalidArgumentError("upstream JSON: " + s.path() + ".id is not a status id");
      return;
    }
    const Reader account = s.Object("account");
    MapAccount(account, post);
    std::string url = s.String("url");
    if (url.empty()) url = s.String("uri");
    post.set_url(url);
    if (auto ts = detail::TimeFrom(s.String("created_at"), "created_at", notes))
      *post.mutable_created_at() = *ts;
    if (auto ts = detail::TimeFrom(s.String("edited_at"), "edited_at", notes))
      *post.mutable_edited_at() = *ts;
    post.set_lang(s.String("language"));
    post.set_sensitive(s.Bool("sensitive"));
    post.set_content_warning(s.String("spoiler_text"));

    const std::string safe = SanitizeHtml(s.String("content"));
    RichText rich = HtmlToRichText(safe);
    // Mentions: the account behind each @link, by its profile URL.
    std::map<std::string, std::string> acct_by_url;
    std::map<std::string, std::string> acct_by_id;
    ForEachObject(s, "mentions", [&](const Reader& m) {
      acct_by_url[m.String("url")] = FullAcct(m.String("acct"));
      acct_by_id[m.String("id")] = FullAcct(m.String("acct"));
    });
    for (auto& e : rich.entities) {
      if (e.kind() != Entity::KIND_MENTION) continue;
      if (auto it = acct_by_url.find(e.target()); it != acct_by_url.end()) {
        e.set_target_id(it->second);
      }
    }
    AddCustomEmoji(rich.text, Emoji(s), rich.entities);
    post.set_text(std::move(rich.text));
    for (auto& e : rich.entities) *post.add_entities() = std::move(e);
    post.set_content_html(safe);

    ForEachObject(s, "media_attachments", [&](const Reader& m) { MapMedia(m, post); });
    if (const Reader card = s.Object("card"); card.present()) MapCard(card, post);
    if (const Reader poll = s.Object("poll"); poll.present()) MapPoll(poll, post);

    auto* counts = post.mutable_counts();
    if (auto v = s.Count("replies_count")) counts->set_replies(*v);
    if (auto v = s.Count("reblogs_count")) counts->set_reposts(*v);
    if (auto v = s.Count("favourites_count")) counts->set_likes(*v);
    if (auto v = s.Count("quotes_count")) counts->set_quotes(*v);

    const std::string parent = s.String("in_reply_to_id");
    if (!parent.empty()) {
      post.set_reply_to_key(KeyOf(parent));
      const std::string parent_account = s.String("in_reply_to_account_id");
      if (parent_account == post.author().id()) {
        post.set_reply_to_handle(post.author().handle());
      } else if (auto it = acct_by_id.find(parent_account); it != acct_by_id.end()) {
        post.set_reply_to_handle(it->second);
      }
    }
    if (const Reader quote = s.Object("quote"); quote.present()) MapQuote(quote, post, depth);
  }
};

}  // namespace

std::string StatusUrl(std::string_view host, std::string_view id) {
  return "https://" + std::string(host) + "/api/v1/statuses/" + std::string(id);
}

Result<MappedPost> MapStatus(std::string_view body, std::string_view host) {
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec) return InvalidArgumentError("upstream JSON is malformed: " + ec.message());
  if (!root.is_object()) return InvalidArgumentError("upstream JSON is not an object");
  Mapper m;
  m.host = std::string(host);
  Reader top(&root.as_object(), "status", &m.error);
  if (top.Get("error") != nullptr && top.Get("id") == nullptr) {
    return InvalidArgumentError("the server answered an error: " + top.String("error"));
  }
  MappedPost out;
  Reader status = top;
  if (const Reader boosted = top.Object("reblog"); boosted.present()) {
    out.note =
        "a boost by @" + top.Object("account").String("acct") + "; archived the boosted post";
    status = boosted;
  }
  m.MapStatusInto(status, out.post, 0);
  if (!m.error.ok()) return m.error;
  if (!m.notes.empty()) out.note = out.note.empty() ? m.notes : out.note + "; " + m.notes;
  out.fallbacks = std::move(m.fallbacks);
  return out;
}

std::optional<proto::Tombstone> TombstoneFor(int http_status, std::string_view body) {
  if (http_status != 404 && http_status != 410) return std::nullopt;
  proto::Tombstone t;
  t.set_kind(http_status == 410 ? proto::Tombstone::KIND_DELETED
                                : proto::Tombstone::KIND_NOT_FOUND);
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  std::string text;
  if (!ec && v.is_object()) {
    if (const auto* e = v.as_object().if_contains("error"); e != nullptr && e->is_string()) {
      text = std::string(e->as_string());
    }
  }
  if (text.empty()) text = http_status == 410 ? "Gone" : "Record not found";
  t.set_upstream_text(text + " (HTTP " + std::to_string(http_status) + ")");
  return t;
}

}  // namespace stillpost::fetcher::mastodon
