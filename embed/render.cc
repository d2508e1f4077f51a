#include "embed/render.h"

#include <google/protobuf/util/time_util.h>
#include <utf8.h>

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <cmath>
#include <cstring>

#include "common/sha256.h"
#include "common/time.h"
#include "common/web.h"

namespace stillpost::embed {
namespace {

using google::protobuf::util::TimeUtil;
using proto::Entity;
using proto::Media;
using proto::Post;

constexpr size_t kTitleChars = 80;

// `s` itself when it is valid UTF-8 (the usual case: no copy), else a repaired copy in `storage`.
// Whether `s` is all ASCII, eight bytes at a time: most text is, and then it is valid UTF-8
// without utfcpp's byte-by-byte walk (which was a visible share of rendering an embed).
bool IsAscii(std::string_view s) {
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    if ((word & 0x8080808080808080ULL) != 0) return false;
  }
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0x80) != 0) return false;
  }
  return true;
}

std::string_view ValidView(std::string_view s, std::string& storage) {
  return ValidUtf8View(s, storage);
}

UnixMicros Micros(const google::protobuf::Timestamp& ts) {
  return TimeUtil::TimestampToMicroseconds(ts);
}

// "14:05 · 7 Jul 2017 UTC"
std::string HumanTime(UnixMicros t) {
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::string iso = FormatRfc3339(t);  // 2017-07-07T14:05:19Z
  const int month = std::stoi(iso.substr(5, 2));
  const int day = std::stoi(iso.substr(8, 2));
  return iso.substr(11, 5) + " \xC2\xB7 " + std::to_string(day) + " " +
         kMonths[static_cast<size_t>(month - 1)] + " " + iso.substr(0, 4) + " UTC";
}

// "1,234"
std::string Thousands(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string PlatformName(proto::Platform p) {
  switch (p) {
    case proto::PLATFORM_MASTODON:
      return "Mastodon";
    case proto::PLATFORM_BLUESKY:
      return "Bluesky";
    default:
      return "X";
  }
}

std::string MediaUrl(const std::string& sha) { return "/media/" + sha; }

// Bluesky's mark as inline SVG: an emoji would need a colour-emoji font the reader may not have.
constexpr const char* kButterfly =
    "<svg viewBox=\"0 0 24 24\" width=\"22\" height=\"22\"><path fill=\"#1185fe\" d=\"M12 "
    "10.8C10.9 8.7 8 4.9 5.3 3 2.7 1.2 1.7 1.5 1 1.8.3 2.2.2 3.3.2 4c0 .6.4 5.1.6 5.9.8 2.6 3.6 "
    "3.5 "
    "6.2 3.2-3.8.6-7.2 2-2.7 7 4.9 5.1 6.8-1.1 7.7-4.2.9 3.1 2 9 7.6 4.2 4.2-4.2 1.1-6.4-2.7-7 "
    "2.6.3 "
    "5.4-.6 6.2-3.2.2-.8.6-5.3.6-5.9 0-.7-.1-1.8-.8-2.2-.7-.3-1.7-.6-4.3 1.2C16 4.9 13.1 8.7 12 "
    "10.8z\"/></svg>";

std::string GoneWord(proto::Tombstone::Kind kind, const std::string& platform) {
  switch (kind) {
    case proto::Tombstone::KIND_DELETED:
      return "Deleted from " + platform;
    case proto::Tombstone::KIND_PROTECTED:
      return "Made private on " + platform;
    case proto::Tombstone::KIND_SUSPENDED:
      return "Account suspended on " + platform;
    case proto::Tombstone::KIND_WITHHELD:
      return "Withheld on " + platform;
    case proto::Tombstone::KIND_NOT_FOUND:
      return "No longer on " + platform;
    default:
      return "Gone from " + platform;
  }
}

const char* kCss = R"css(
:root{--bg:#fff;--fg:#0f1419;--dim:#536471;--line:#cfd9de;--link:#006fd6;--band:#fdecc8;--bandfg:#5c3b00;--card:#f7f9f9}
[data-theme=dark]{--bg:#15202b;--fg:#f7f9f9;--dim:#8b98a5;--line:#38444d;--link:#6bc0ff;--band:#4a3500;--bandfg:#ffe7a8;--card:#1e2732}
@media (prefers-color-scheme:dark){[data-theme=auto]{--bg:#15202b;--fg:#f7f9f9;--dim:#8b98a5;--line:#38444d;--link:#6bc0ff;--band:#4a3500;--bandfg:#ffe7a8;--card:#1e2732}}
*{box-sizing:border-box}
html,body{margin:0;padding:0;background:transparent}
body{font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg)}
.sp{max-width:550px;min-width:250px;background:var(--bg);border:1px solid var(--line);border-radius:12px;padding:12px 16px;overflow:hidden}
.sp a{color:var(--link);text-decoration:none}
.sp a:hover,.sp a:focus{text-decoration:underline}
.sp-band{margin:-12px -16px 12px;padding:8px 16px;background:var(--band);color:var(--bandfg);font-weight:600;font-size:14px}
.sp-note{color:var(--dim);font-size:13px;margin:6px 0}
.sp-reply{color:var(--dim);font-size:14px;margin-bottom:6px}
.sp-head{display:flex;align-items:center;gap:8px}
.sp-avatar{width:48px;height:48px;border-radius:50%;flex:none;background:var(--line);object-fit:cover}
.sp-names{display:flex;flex-direction:column;min-width:0;flex:1}
.sp-name{font-weight:700;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.sp-handle{color:var(--dim);white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.sp-badge{display:inline-block;width:16px;height:16px;margin-left:4px;vertical-align:-2px;border-radius:50%;background:#1d9bf0;color:#fff;font-size:11px;line-height:16px;text-align:center}
.sp-badge.gold{background:#e2b719}.sp-badge.grey{background:#829aab}
.sp-logo{font-size:20px;font-weight:700;color:var(--fg)}
.sp-text{margin:10px 0;font-size:17px;white-space:pre-wrap;overflow-wrap:anywhere}
.sp-media{display:grid;gap:2px;margin:10px 0;border-radius:12px;overflow:hidden;border:1px solid var(--line)}
.sp-media-2,.sp-media-3,.sp-media-4{grid-template-columns:1fr 1fr}
.sp-media-3>:first-child{grid-row:span 2}
.sp-media img,.sp-media video{display:block;width:100%;height:auto;background:var(--line)}
.sp-media-2 img,.sp-media-3 img,.sp-media-4 img{height:100%;object-fit:cover;aspect-ratio:1}
.sp-missing{padding:24px;color:var(--dim);font-size:13px;text-align:center;background:var(--card)}
.sp-card{display:block;margin:10px 0;border:1px solid var(--line);border-radius:12px;overflow:hidden;color:var(--fg)!important}
.sp-card img{display:block;width:100%;height:auto}
.sp-card span,.sp-card strong{display:block;padding:0 12px}
.sp-card span:first-of-type{padding-top:8px;color:var(--dim);font-size:13px}
.sp-card span:last-child{padding-bottom:8px;color:var(--dim);font-size:14px}
.sp-quote{margin:10px 0;padding:10px 12px;border:1px solid var(--line);border-radius:12px}
.sp-quote .sp-avatar{width:20px;height:20px}
.sp-quote .sp-names{flex-direction:row;gap:4px}
.sp-quote .sp-text{font-size:15px;margin:4px 0}
.sp-foot{color:var(--dim);font-size:14px;display:flex;flex-direction:column;gap:4px;margin-top:8px}
.sp-foot a{color:var(--dim);text-decoration:underline}
.sp-emoji{width:1.2em;height:1.2em;vertical-align:-.2em;object-fit:contain}
.sp-cw{margin:10px 0;border:1px solid var(--line);border-radius:12px;padding:8px 12px}
.sp-cw>summary{cursor:pointer;font-weight:600;overflow-wrap:anywhere}
.sp-media audio{display:block;width:100%;padding:8px;background:var(--card)}
.sp-poll{margin:10px 0;display:flex;flex-direction:column;gap:6px;font-size:15px}
.sp-poll-opt{display:grid;grid-template-columns:1fr auto;gap:2px 8px}
.sp-poll-opt>span{overflow-wrap:anywhere}
.sp-poll progress{grid-column:1/3;width:100%;height:6px;accent-color:var(--link)}
.sp-poll-meta{color:var(--dim);font-size:13px}
)css";

const char* kHeightScript =
    "(function(){function s(){parent.postMessage({type:\"stillpost:height\",height:"
    "Math.ceil(document.documentElement.getBoundingClientRect().height),"
    "path:location.pathname},\"*\")}addEventListener(\"load\",s);"
    "if(window.ResizeObserver)new ResizeObserver(s).observe(document.documentElement);s()})();";

// Appends `valid` (known valid UTF-8) escaped for HTML text and attributes.
void EscapeValidInto(std::string& out, std::string_view valid) { AppendHtmlEscaped(out, valid); }

// Appends `raw` escaped for HTML text and attributes; invalid UTF-8 becomes U+FFFD.
void EscapeInto(std::string& out, std::string_view raw) {
  std::string storage;
  EscapeValidInto(out, ValidView(raw, storage));
}

// Byte offsets of code-point positions in valid UTF-8, walking forward only.
class CodePointCursor {
 public:
  explicit CodePointCursor(std::string_view text) : text_(text), ascii_(IsAscii(text)) {}
  bool ascii() const { return ascii_; }
  // The byte offset of code point `index` (clamped to the end); indexes must not decrease.
  size_t ByteAt(size_t index) {
    if (ascii_) return std::min(index, text_.size());  // one byte per code point
    while (cp_ < index && byte_ < text_.size()) {
      const char* it = text_.data() + byte_;
      utf8::unchecked::next(it);
      byte_ = static_cast<size_t>(it - text_.data());
      ++cp_;
    }
    return byte_;
  }

 private:
  std::string_view text_;
  bool ascii_;
  size_t byte_ = 0;
  size_t cp_ = 0;
};

class Writer {
 public:
  Writer() { out_.reserve(8192); }
  void Raw(std::string_view s) { out_ += s; }
  void Text(std::string_view s) { EscapeInto(out_, s); }
  void ValidText(std::string_view s) { EscapeValidInto(out_, s); }  // `s` is valid UTF-8
  std::string& str() { return out_; }

 private:
  std::string out_;
};

// Text with its entities: links for http(s) targets, images for custom emoji that were
// stored; offsets are code points.
template <typename Entities>
void RenderRich(Writer& w, const std::string& raw, const Entities& entities) {
  std::string storage;
  const std::string_view text = ValidView(raw, storage);
  CodePointCursor cursor(text);
  size_t pos = 0;       // code points written so far
  size_t pos_byte = 0;  // and their byte offset
  const auto total = cursor.ascii()
                         ? text.size()
                         : static_cast<size_t>(utf8::unchecked::distance(text.begin(), text.end()));
  for (const Entity& e : entities) {
    const size_t start = e.start(), end = e.end();
    if (start < pos || end > total || start >= end) continue;  // stale or overlapping
    const size_t start_byte = cursor.ByteAt(start);
    const size_t end_byte = cursor.ByteAt(end);
    w.ValidText(text.substr(pos_byte, start_byte - pos_byte));
    const std::string_view slice = text.substr(start_byte, end_byte - start_byte);
    const std::string_view shown = e.display().empty() ? slice : e.display();
    if (e.kind() == Entity::KIND_CUSTOM_EMOJI) {
      if (IsSha256Hex(e.target_blob())) {
        w.Raw("<img class=\"sp-emoji\" src=\"" + MediaUrl(e.target_blob()) + "\" alt=\"");
        w.ValidText(slice);
        w.Raw("\" title=\"");
        w.ValidText(slice);
        w.Raw("\">");
      } else {
        w.ValidText(slice);
      }
    } else if (IsHttpUrl(e.target())) {
      w.Raw("<a href=\"");
      w.Text(e.target());
      w.Raw("\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">");
      w.Text(shown);
      w.Raw("</a>");
    } else {
      w.Text(shown);
    }
    pos = end;
    pos_byte = end_byte;
  }
  w.ValidText(text.substr(pos_byte));
}

void RenderText(Writer& w, const Post& post) { RenderRich(w, post.text(), post.entities()); }

// Where a handle's profile is, for "Replying to @x".
std::string ProfileUrl(const Post& post, const std::string& handle) {
  switch (post.platform()) {
    case proto::PLATFORM_MASTODON: {
      const size_t at = handle.find('@');
      if (at == std::string::npos || at == 0 || at + 1 == handle.size()) return "";
      return "https://" + handle.substr(at + 1) + "/@" + handle.substr(0, at);
    }
    case proto::PLATFORM_BLUESKY:
      return "https://bsky.app/profile/" + handle;
    default:
      return "https://x.com/" + handle;
  }
}

// Labels a Bluesky post can carry that mean "hide the media until asked".
bool HasSensitiveLabel(const Post& post) {
  for (const auto& l : post.labels()) {
    if (l == "porn" || l == "sexual" || l == "nudity" || l == "graphic-media" || l == "gore") {
      return true;
    }
  }
  return false;
}

void RenderPoll(Writer& w, const Post& post) {
  if (!post.has_poll() || post.poll().options_size() == 0) return;
  const auto& poll = post.poll();
  uint64_t total = 0;
  for (const auto& opt : poll.options()) {
    total = opt.votes() > UINT64_MAX - total ? UINT64_MAX : total + opt.votes();  // saturating
  }
  w.Raw("<div class=\"sp-poll\" role=\"list\" aria-label=\"Poll results at capture\">");
  for (const auto& opt : poll.options()) {
    // In floating point: votes from upstream can be as large as their type allows.
    const auto pct =
        total == 0
            ? 0ULL
            : static_cast<unsigned long long>(std::clamp(
                  std::round(100.0 * static_cast<double>(opt.votes()) / static_cast<double>(total)),
                  0.0, 100.0));
    w.Raw("<div class=\"sp-poll-opt\" role=\"listitem\"><span dir=\"auto\">");
    w.Text(opt.title());
    w.Raw("</span><span>" + std::to_string(pct) + "%</span><progress max=\"100\" value=\"" +
          std::to_string(pct) + "\" aria-hidden=\"true\"></progress></div>");
  }
  const uint64_t people = poll.has_voters() ? poll.voters() : total;
  w.Raw("<div class=\"sp-poll-meta\">" + Thousands(people) + (people == 1 ? " vote" : " votes"));
  if (poll.expired()) {
    w.Raw(" \xC2\xB7 Final results");
  } else if (poll.has_expires_at()) {
    w.Raw(" \xC2\xB7 Open at capture, closing " + FormatDate(Micros(poll.expires_at())));
  }
  w.Raw("</div></div>");
}

void RenderBadge(Writer& w, proto::VerifiedKind kind) {
  switch (kind) {
    case proto::VERIFIED_NONE:
      return;
    case proto::VERIFIED_BUSINESS:
      w.Raw(
          "<span class=\"sp-badge gold\" role=\"img\" aria-label=\"Verified "
          "organisation\">&#10003;</span>");
      return;
    case proto::VERIFIED_GOVERNMENT:
      w.Raw(
          "<span class=\"sp-badge grey\" role=\"img\" aria-label=\"Verified government "
          "account\">&#10003;</span>");
      return;
    default:
      w.Raw(
          "<span class=\"sp-badge\" role=\"img\" aria-label=\"Verified account\">&#10003;</span>");
      return;
  }
}

void RenderAuthor(Writer& w, const Post& post, bool logo) {
  const auto& a = post.author();
  w.Raw("<header class=\"sp-head\">");
  if (!a.avatar_blob().empty()) {
    w.Raw("<img class=\"sp-avatar\" src=\"" + MediaUrl(a.avatar_blob()) +
          "\" alt=\"\" width=\"48\" height=\"48\">");
  } else {
    w.Raw("<span class=\"sp-avatar\" aria-hidden=\"true\"></span>");
  }
  w.Raw("<span class=\"sp-names\"><span class=\"sp-name\"><bdi>");
  if (a.display_name().empty()) {
    w.Text(a.handle());
  } else {
    RenderRich(w, a.display_name(), a.name_entities());
  }
  w.Raw("</bdi>");
  RenderBadge(w, a.verified());
  w.Raw("</span><span class=\"sp-handle\">@<bdi>");
  w.Text(a.handle());
  w.Raw("</bdi></span></span>");
  if (logo) {
    w.Raw("<span class=\"sp-logo\" aria-hidden=\"true\">");
    w.Raw(post.platform() == proto::PLATFORM_X || post.platform() == proto::PLATFORM_UNSPECIFIED
              ? "&#120143;"
              : (post.platform() == proto::PLATFORM_BLUESKY ? kButterfly : "M"));
    w.Raw("</span>");
  }
  w.Raw("</header>");
}

void RenderMedia(Writer& w, const Post& post) {
  const int n = std::min(post.media_size(), 4);
  if (n == 0) return;
  w.Raw("<div class=\"sp-media sp-media-" + std::to_string(n) + "\">");
  for (int i = 0; i < n; ++i) {
    const Media& m = post.media(i);
    const std::string dims = m.width() > 0 && m.height() > 0
                                 ? " width=\"" + std::to_string(m.width()) + "\" height=\"" +
                                       std::to_string(m.height()) + "\""
                                 : "";
    if (m.blob().empty()) {
      w.Raw("<div class=\"sp-missing\">Media not archived");
      if (!m.failure().empty()) {
        w.Raw(": ");
        w.Text(m.failure().substr(0, 120));
      }
      w.Raw("</div>");
      continue;
    }
    if (m.kind() == Media::KIND_PHOTO) {
      w.Raw("<img src=\"" + MediaUrl(m.blob()) + "\" alt=\"");
      w.Text(m.alt_text().empty() ? "Image" : m.alt_text());
      w.Raw("\"" + dims + " loading=\"lazy\">");
      continue;
    }
    if (m.kind() == Media::KIND_AUDIO) {
      w.Raw("<audio controls preload=\"none\" src=\"" + MediaUrl(m.blob()) + "\"");
      if (!m.alt_text().empty()) {
        w.Raw(" aria-label=\"");
        w.Text(m.alt_text());
        w.Raw("\"");
      }
      w.Raw("></audio>");
      continue;
    }
    const bool gif = m.kind() == Media::KIND_GIF;
    w.Raw(gif ? "<video autoplay muted loop playsinline"
              : "<video controls preload=\"none\" playsinline");
    if (!m.poster_blob().empty()) w.Raw(" poster=\"" + MediaUrl(m.poster_blob()) + "\"");
    w.Raw(dims);
    if (!m.alt_text().empty()) {
      w.Raw(" aria-label=\"");
      w.Text(m.alt_text());
      w.Raw("\"");
    }
    w.Raw("><source src=\"" + MediaUrl(m.blob()) + "\" type=\"");
    w.Text(m.mime().empty() ? "video/mp4" : m.mime());
    w.Raw("\"></video>");
  }
  w.Raw("</div>");
}

void RenderCard(Writer& w, const Post& post) {
  if (!post.has_card() || post.card().title().empty()) return;
  const auto& c = post.card();
  const std::string& href = c.expanded_url().empty() ? c.url() : c.expanded_url();
  const bool link = IsHttpUrl(href);
  if (link) {
    w.Raw("<a class=\"sp-card\" href=\"");
    w.Text(href);
    w.Raw("\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">");
  } else {
    w.Raw("<div class=\"sp-card\">");
  }
  if (!c.image_blob().empty()) {
    w.Raw("<img src=\"" + MediaUrl(c.image_blob()) + "\" alt=\"");
    w.Text(c.image_alt());
    w.Raw("\"");
    if (c.image_width() > 0 && c.image_height() > 0) {
      w.Raw(" width=\"" + std::to_string(c.image_width()) + "\" height=\"" +
            std::to_string(c.image_height()) + "\"");
    }
    w.Raw(" loading=\"lazy\">");
  }
  w.Raw("<span>");
  w.Text(c.domain());
  w.Raw("</span><strong dir=\"auto\">");
  w.Text(c.title());
  w.Raw("</strong><span dir=\"auto\">");
  w.Text(c.description());
  w.Raw("</span>");
  w.Raw(link ? "</a>" : "</div>");
}

void RenderPostBody(Writer& w, const Post& post, const EmbedOptions& o, bool nested) {
  if (!nested && !o.hide_thread && !post.reply_to_handle().empty()) {
    w.Raw("<div class=\"sp-reply\">Replying to ");
    const std::string profile = ProfileUrl(post, post.reply_to_handle());
    if (IsHttpUrl(profile)) {
      w.Raw("<a href=\"");
      w.Text(profile);
      w.Raw("\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">@");
      w.Text(post.reply_to_handle());
      w.Raw("</a>");
    } else {
      w.Raw("@");
      w.Text(post.reply_to_handle());
    }
    w.Raw("</div>");
  }
  RenderAuthor(w, post, !nested);
  // A content warning hides everything after it until the reader opens it.
  const bool cw = !post.content_warning().empty();
  if (cw) {
    w.Raw("<details class=\"sp-cw\"><summary dir=\"auto\">");
    w.Text(post.content_warning());
    w.Raw("</summary>");
  }
  w.Raw("<div class=\"sp-text\" dir=\"auto\"");
  if (!post.lang().empty()) {
    w.Raw(" lang=\"");
    w.Text(post.lang());
    w.Raw("\"");
  }
  w.Raw(">");
  RenderText(w, post);
  w.Raw("</div>");
  if (post.text_truncated()) {
    w.Raw("<p class=\"sp-note\">This is a long post; the platform gave only its beginning.</p>");
  }
  RenderPoll(w, post);
  if (!o.hide_media) {
    const bool hide = !cw && post.media_size() > 0 && (post.sensitive() || HasSensitiveLabel(post));
    if (hide) w.Raw("<details class=\"sp-cw\"><summary>Sensitive media</summary>");
    RenderMedia(w, post);
    if (hide) w.Raw("</details>");
    RenderCard(w, post);
  }
  if (cw) w.Raw("</details>");
  if (!nested) {
    if (post.has_quoted()) {
      w.Raw("<div class=\"sp-quote\">");
      RenderPostBody(w, post.quoted(), o, true);
      w.Raw("</div>");
    } else if (!post.quoted_key().empty() || !post.quoted_unavailable().empty()) {
      w.Raw("<div class=\"sp-quote sp-note\">Quoted post unavailable");
      if (!post.quoted_unavailable().empty()) {
        w.Raw(": ");
        w.Text(post.quoted_unavailable());
      }
      w.Raw("</div>");
    }
  }
}

}  // namespace

std::string HtmlEscape(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() + 16);
  EscapeInto(out, raw);
  return out;
}

bool IsHttpUrl(std::string_view url) { return stillpost::IsHttpUrl(url); }

std::string_view HeightScript() { return kHeightScript; }

const std::string& EmbedContentSecurityPolicy() {
  static const std::string csp =
      "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'sha256-" +
      Sha256Base64(kCss) + "'; script-src 'sha256-" + Sha256Base64(kHeightScript) +
      "'; base-uri 'none'; form-action 'none'";
  return csp;
}

std::string RenderEmbed(const EmbedInput& in, const EmbedOptions& o) {
  const Post& post = in.capture.post();
  const std::string platform = PlatformName(post.platform());
  Writer w;
  const char* theme =
      o.theme == Theme::kDark ? "dark" : (o.theme == Theme::kLight ? "light" : "auto");
  w.Raw("<!DOCTYPE html>\n<html lang=\"");
  w.Text(post.lang().empty() ? "und" : post.lang());
  w.Raw("\" data-theme=\"");
  w.Raw(theme);
  w.Raw(
      "\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
      "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
  {
    std::string storage;
    const std::string_view text = ValidView(post.text(), storage);
    const size_t head_bytes = CodePointCursor(text).ByteAt(kTitleChars);
    w.Text(post.author().display_name());
    w.Text(" on " + platform + ": \u201C");
    w.Text(text.substr(0, head_bytes));
    w.Raw(head_bytes < text.size() ? "\u2026\u201D (archived)" : "\u201D (archived)");
  }
  w.Raw("</title>\n");
  if (IsHttpUrl(post.url())) {
    w.Raw(
        "<link rel=\"alternate\" type=\"application/json+oembed\" "
        "href=\"/oembed?format=json&amp;url=");
    // The URL goes into a query: percent-encode what would end it.
    std::string q;
    for (char c : post.url()) {
      if (c == '&' || c == '#' || c == '+' || c == '%' || c == ' ' || c == '?' || c == '=') {
        static constexpr char kHex[] = "0123456789ABCDEF";
        q += '%';
        q += kHex[(static_cast<unsigned char>(c) >> 4) & 0xf];
        q += kHex[static_cast<unsigned char>(c) & 0xf];
      } else {
        q += c;
      }
    }
    w.Text(q);
    w.Raw("\">\n");
  }
  w.Raw("<style>");
  w.Raw(kCss);
  w.Raw("</style>\n</head>\n<body>\n<article class=\"sp\" aria-label=\"");
  w.Text("Archived post by " + post.author().display_name() + " (@" + post.author().handle() + ")");
  w.Raw("\">\n");

  // The band: gone, or never captured whole, or only part of it.
  const UnixMicros shown_at = Micros(in.capture.captured_at());
  const bool gone = in.state.current() == proto::PostState::CURRENT_GONE;
  if (gone) {
    w.Raw("<div class=\"sp-band\" role=\"status\">");
    w.Text(GoneWord(in.state.gone_kind(), platform) + " \u2014 last seen " +
           FormatDate(Micros(in.state.has_latest_good_at() ? in.state.latest_good_at()
                                                           : in.capture.captured_at())) +
           ", archived " + FormatDate(Micros(in.state.first_seen())));
    w.Raw("</div>\n");
  }
  if (in.capture.partial()) {
    w.Raw("<p class=\"sp-note\">");
    w.Text(in.capture.partial_reason().find("oEmbed") != std::string::npos
               ? "Only the text of this post was archived."
               : "Part of this post could not be archived.");
    w.Raw("</p>\n");
  }
  RenderPostBody(w, post, o, false);

  w.Raw("\n<footer class=\"sp-foot\"><span>");
  if (post.has_created_at()) {
    w.Raw("<time datetime=\"" + FormatRfc3339(Micros(post.created_at())) + "\">" +
          HumanTime(Micros(post.created_at())) + "</time>");
  }
  if (post.has_edited_at()) w.Raw(" \xC2\xB7 Edited");
  w.Raw("</span>");
  const auto& c = post.counts();
  std::string counts;
  auto count = [&](bool has, uint64_t n, const char* one, const char* many) {
    if (!has) return;
    if (!counts.empty()) counts += " \xC2\xB7 ";
    counts += Thousands(n) + " " + (n == 1 ? one : many);
  };
  count(c.has_likes(), c.likes(), "like", "likes");
  count(c.has_reposts(), c.reposts(), "repost", "reposts");
  count(c.has_replies(), c.replies(), "reply", "replies");
  if (!counts.empty()) w.Raw("<span>" + counts + " at capture</span>");
  w.Raw("<span>Archived <time datetime=\"" + FormatRfc3339(shown_at) + "\">" +
        FormatDate(shown_at) + "</time>");
  if (IsHttpUrl(post.url())) {
    w.Raw(" \xC2\xB7 <a href=\"");
    w.Text(post.url());
    w.Raw("\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">View on " + platform + "</a>");
  }
  w.Raw("</span></footer>\n</article>\n<script>");
  w.Raw(kHeightScript);
  w.Raw("</script>\n</body>\n</html>\n");
  return std::move(w.str());
}

std::string RenderOEmbed(const EmbedInput& in, std::string_view base, int maxwidth) {
  const Post& post = in.capture.post();
  const int width = std::clamp(maxwidth <= 0 ? kMaxWidth : maxwidth, kMinWidth, kMaxWidth);
  // A rough height: header and footer, lines of text at this width, media and card.
  const int chars_per_line = std::max(20, (width - 32) / 9);
  const int lines = static_cast<int>(post.text().size()) / chars_per_line + 1;
  int height = 160 + lines * 24;
  if (post.media_size() > 0) height += (width - 32) * 9 / 16;
  if (post.has_card() && !post.card().title().empty()) height += 120;
  if (post.has_quoted()) height += 140;
  if (in.state.current() == proto::PostState::CURRENT_GONE) height += 40;
  const std::string src = std::string(base) + "/embed/" + post.key();
  boost::json::object o;
  o["type"] = "rich";
  o["version"] = "1.0";
  o["provider_name"] = "stillpost";
  o["provider_url"] = std::string(base);
  o["author_name"] = ValidUtf8(post.author().display_name());
  o["author_url"] = IsHttpUrl(post.author().profile_url()) ? post.author().profile_url() : "";
  o["url"] = IsHttpUrl(post.url()) ? post.url() : "";  // only http(s) URLs leave the server
  o["width"] = width;
  o["height"] = height;
  o["cache_age"] = 86400;
  o["html"] = "<iframe src=\"" + HtmlEscape(src) + "\" width=\"" + std::to_string(width) +
              "\" height=\"" + std::to_string(height) +
              "\" style=\"border:0;max-width:100%\" loading=\"lazy\" sandbox=\"allow-scripts "
              "allow-popups allow-popups-to-escape-sandbox\" referrerpolicy=\"no-referrer\" "
              "title=\"" +
              HtmlEscape("Archived post by " + post.author().display_name()) + "\"></iframe>";
  for (const Media& m : post.media()) {
    const std::string& thumb = m.kind() == Media::KIND_PHOTO ? m.blob() : m.poster_blob();
    if (thumb.empty()) continue;
    o["thumbnail_url"] = std::string(base) + MediaUrl(thumb);
    o["thumbnail_width"] = m.width();
    o["thumbnail_height"] = m.height();
    break;
  }
  return boost::json::serialize(o);
}

}  // namespace stillpost::embed
