// What the renderer's files share (render.cc, detail/blocks.cc, oembed.cc): the page's CSS and
// height script, the layout's box sizes, escaping, the writer and rich text. Private to embed/.
#pragma once

#include <google/protobuf/util/time_util.h>
#include <utf8.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/numbers.h"
#include "common/sha256.h"
#include "common/time.h"
#include "common/web.h"
#include "embed/detail/layout.h"
#include "embed/render.h"

namespace stillpost::embed::detail {

using proto::Entity;
using proto::Media;
using proto::Post;

inline constexpr size_t kTitleChars = 80;

// "14:05 · 7 Jul 2017 UTC"
inline std::string HumanTime(UnixMicros t) {
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::string iso = FormatRfc3339(t);  // 2017-07-07T14:05:19Z
  const auto month = ParseDigits(std::string_view(iso).substr(5, 2)).value_or(1);
  const auto day = ParseDigits(std::string_view(iso).substr(8, 2)).value_or(1);
  return iso.substr(11, 5) + " \xC2\xB7 " + std::to_string(day) + " " +
         kMonths[static_cast<size_t>(std::clamp<uint64_t>(month, 1, 12) - 1)] + " " +
         iso.substr(0, 4) + " UTC";
}

// "1,234"
inline std::string Thousands(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

inline std::string PlatformName(proto::Platform p) {
  switch (p) {
    case proto::PLATFORM_MASTODON:
      return "Mastodon";
    case proto::PLATFORM_BLUESKY:
      return "Bluesky";
    default:
      return "X";
  }
}

inline std::string MediaUrl(const std::string& sha) { return "/media/" + sha; }

// Bluesky's mark as inline SVG: an emoji would need a colour-emoji font the reader may not have.
inline constexpr const char* kButterfly =
    "<svg viewBox=\"0 0 24 24\" width=\"22\" height=\"22\"><path fill=\"#1185fe\" d=\"M12 "
    "10.8C10.9 8.7 8 4.9 5.3 3 2.7 1.2 1.7 1.5 1 1.8.3 2.2.2 3.3.2 4c0 .6.4 5.1.6 5.9.8 2.6 3.6 "
    "3.5 "
    "6.2 3.2-3.8.6-7.2 2-2.7 7 4.9 5.1 6.8-1.1 7.7-4.2.9 3.1 2 9 7.6 4.2 4.2-4.2 1.1-6.4-2.7-7 "
    "2.6.3 "
    "5.4-.6 6.2-3.2.2-.8.6-5.3.6-5.9 0-.7-.1-1.8-.8-2.2-.7-.3-1.7-.6-4.3 1.2C16 4.9 13.1 8.7 12 "
    "10.8z\"/></svg>";

inline std::string GoneWord(proto::Tombstone::Kind kind, const std::string& platform) {
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

// Platform marks and the verified badge as inline SVG, drawn here (no web font, no image).
inline constexpr const char* kXMark =
    "<svg viewBox=\"0 0 24 24\" width=\"20\" height=\"20\" aria-hidden=\"true\"><path "
    "fill=\"currentColor\" d=\"M3.2 3h5.1l12.5 18h-5.1zM17.6 3h2.3l-7 8-1.3-1.8zM10.4 "
    "13.6l1.3 1.8L6.3 21H4z\"/></svg>";
inline constexpr const char* kMastodonMark =
    "<svg viewBox=\"0 0 24 24\" width=\"22\" height=\"22\" aria-hidden=\"true\"><path "
    "fill=\"#6364ff\" d=\"M12 2C6.4 2 3 4.7 3 9.6v4.1c0 5 3.6 7.3 8.6 7.3 1.5 0 2.9-.2 "
    "4.2-.6v-2.2c-1.3.4-2.7.5-4 .4-2.2-.1-3.3-.9-3.5-2.3 1.4.3 2.9.5 4.5.5 5.2 0 8.2-2 "
    "8.2-6.8V9.6C21 4.7 17.6 2 12 2z\"/><path fill=\"#fff\" d=\"M7.4 13.4V9.3c0-1.6 1-2.6 "
    "2.5-2.6 1 0 1.7.5 2.1 1.3.4-.8 1.1-1.3 2.1-1.3 1.5 0 2.5 1 2.5 "
    "2.6v4.1h-1.8V9.5c0-.8-.4-1.2-1-1.2"
    "-.7 0-1 .5-1 1.3v2.1h-1.6V9.6c0-.8-.4-1.3-1-1.3-.7 0-1.1.4-1.1 1.2v3.9z\"/></svg>";

inline std::string BadgeSvg(const char* fill, const char* label) {
  return std::string(
             "<svg class=\"sp-badge\" viewBox=\"0 0 22 22\" width=\"18\" height=\"18\" "
             "role=\"img\" aria-label=\"") +
         label + "\"><path fill=\"" + fill +
         "\" d=\"M11 1l2.5 2.1 3.2-.5 1.2 3 3 1.2-.5 3.2L22.5 11l-2.1 2.5.5 3.2-3 1.2-1.2 3-3.2-.5"
         "L11 22.5l-2.5-2.1-3.2.5-1.2-3-3-1.2.5-3.2L-.5 11l2.1-2.5-.5-3.2 3-1.2 1.2-3 3.2.5z\"/>"
         "<path d=\"M6.6 11.3l3 3 5.9-6.1\" fill=\"none\" stroke=\"#fff\" stroke-width=\"2.2\"/>"
         "</svg>";
}

// The stylesheet. Every height is a whole number of px (line-height, paddings, the header) and
// every vertical gap a margin-top (no margin-bottom, so no margins collapse): EmbedHeight below
// adds up the same numbers. The font is one set of advance widths (Helvetica, Arial and
// Liberation Sans share them) with kerning and ligatures off, so text widths are sums.
inline constexpr const char* kCss = R"css(
:root{--bg:#fff;--fg:#0f1419;--dim:#536471;--line:#cfd9de;--link:#006fd6;--band:#fdecc8;--bandfg:#5c3b00;--card:#f7f9f9;--ul:none}
[data-theme=dark]{--bg:#15202b;--fg:#f7f9f9;--dim:#8b98a5;--line:#38444d;--link:#8ecdf8;--band:#4a3500;--bandfg:#ffe7a8;--card:#1e2732;--ul:underline}
@media (prefers-color-scheme:dark){[data-theme=auto]{--bg:#15202b;--fg:#f7f9f9;--dim:#8b98a5;--line:#38444d;--link:#8ecdf8;--band:#4a3500;--bandfg:#ffe7a8;--card:#1e2732;--ul:underline}}
*{box-sizing:border-box}
html,body{margin:0;padding:0;background:transparent}
body{font:15px/20px Helvetica,Arial,"Liberation Sans",sans-serif;font-kerning:none;font-variant-ligatures:none;-webkit-text-size-adjust:100%;color:var(--fg)}
.sp{max-width:550px;min-width:250px;background:var(--bg);border:1px solid var(--line);border-radius:12px;padding:12px 16px;overflow:hidden}
.sp a{color:var(--link);text-decoration:none}
.sp a:hover,.sp a:focus{text-decoration:underline}
.sp-text a,.sp-cw a{text-decoration:var(--ul)}
.nw{white-space:nowrap}
.sp-band{margin:-12px -16px 0;padding:8px 16px;background:var(--band);color:var(--bandfg);font-weight:700;font-size:14px;line-height:20px;overflow-wrap:anywhere}
.sp-note{color:var(--dim);font-size:13px;line-height:18px;margin:8px 0 0;overflow-wrap:anywhere}
.sp>:first-child{margin-top:0}
.sp-band+*{margin-top:12px}
.sp-parent{display:block;margin:0;padding-left:10px;border-left:2px solid var(--line);color:var(--dim)!important}
.sp-parent-by{display:block;font-size:13px;line-height:18px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.sp-parent-text{font-size:14px;line-height:20px;color:var(--fg);white-space:pre-wrap;overflow-wrap:anywhere;display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical;overflow:hidden}
.sp-head{display:flex;align-items:center;gap:8px;height:48px;margin-top:10px}
.sp-avatar-link{flex:none;display:block;width:48px;height:48px}
.sp-avatar{width:48px;height:48px;border-radius:50%;display:block;background:var(--line);object-fit:cover}
.sp-names{display:flex;flex-direction:column;min-width:0;flex:1}
.sp-names a{color:inherit!important}
.sp-name-row{display:flex;align-items:center;min-width:0;gap:4px;font-weight:700}
.sp-name{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;min-width:0}
.sp-badge{flex:none;width:18px;height:18px}
.sp-handle{color:var(--dim)!important;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.sp-label{margin-left:4px;padding:0 4px;border:1px solid var(--line);border-radius:4px;font-size:12px}
.sp-logo{flex:none;color:var(--fg);width:22px;height:22px;display:flex;align-items:center;justify-content:center}
.sp-text{margin:10px 0 0;font-size:17px;line-height:24px;white-space:pre-wrap;overflow-wrap:anywhere}
.sp-media{position:relative;display:grid;gap:2px;margin:10px 0 0;border-radius:12px;overflow:hidden;border:1px solid var(--line)}
.sp-cell{position:relative;min-width:0}
.sp-media-2,.sp-media-3,.sp-media-4{grid-template-columns:1fr 1fr}
.sp-media-3>:first-child{grid-row:span 2}
.sp-media img,.sp-media video{display:block;width:100%;height:auto;background:var(--line)}
.sp-media-2 img,.sp-media-3 img,.sp-media-4 img,.sp-media-2 video,.sp-media-3 video,.sp-media-4 video{height:100%;object-fit:cover;aspect-ratio:1}
.sp-media-3>:first-child img,.sp-media-3>:first-child video{aspect-ratio:auto}
.sp-media-1 img.sp-tall{aspect-ratio:4/5;object-fit:cover}
.sp-media-1 video.sp-tall{aspect-ratio:4/5;object-fit:contain;background:#000}
.sp-alt{position:absolute;left:8px;bottom:8px;padding:0 5px;border-radius:4px;background:rgba(0,0,0,.75);color:#fff;font-size:12px;line-height:18px;font-weight:700}
.sp-missing{padding:24px;color:var(--dim);font-size:13px;line-height:18px;text-align:center;background:var(--card);overflow-wrap:anywhere}
.sp-sens{position:relative}
.sp-sens-toggle{position:absolute;opacity:0;width:1px;height:1px}
.sp-sens label{position:absolute;z-index:1;left:50%;top:50%;transform:translate(-50%,-50%);white-space:nowrap;padding:6px 12px;border-radius:16px;background:rgba(0,0,0,.75);color:#fff;font-weight:700;cursor:pointer}
.sp-sens-toggle:focus-visible~label{outline:2px solid var(--link)}
.sp-sens-toggle:not(:checked)~.sp-media img,.sp-sens-toggle:not(:checked)~.sp-media video{filter:blur(28px)}
.sp-sens-toggle:checked~label{display:none}
.sp-card{display:block;margin:10px 0 0;border:1px solid var(--line);border-radius:12px;overflow:hidden;color:var(--fg)!important}
.sp-card img{display:block;width:100%;height:auto}
.sp-card img.sp-wide{aspect-ratio:1.91;object-fit:cover}
.sp-card-domain{display:block;padding:8px 12px 0;color:var(--dim);font-size:13px;line-height:18px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.sp-card-title{display:block;padding:0 12px;font-weight:700;overflow-wrap:anywhere}
.sp-card-desc{padding:0 12px;color:var(--dim);font-size:14px;line-height:20px;overflow-wrap:anywhere;display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical;overflow:hidden}
.sp-card-end{display:block;height:8px}
.sp-quote{display:block;margin:10px 0 0;padding:10px 12px;border:1px solid var(--line);border-radius:12px}
.sp-quote .sp-head{height:20px;margin:0;gap:4px}
.sp-quote .sp-avatar-link,.sp-quote .sp-avatar{width:20px;height:20px}
.sp-quote .sp-names{flex-direction:row;gap:4px}
.sp-quote .sp-name-row{flex:none;max-width:60%}
.sp-quote .sp-badge{width:16px;height:16px}
.sp-quote .sp-text{font-size:15px;line-height:20px;margin-top:4px}
.sp-foot{color:var(--dim);font-size:14px;line-height:20px;margin-top:12px}
.sp-foot>div{margin-top:4px}
.sp-foot>div:first-child{margin-top:0}
.sp-foot a{color:var(--dim)}
.sp-foot .sp-view{text-decoration:underline}
.sp-emoji{width:1.2em;height:1.2em;vertical-align:-.2em;object-fit:contain}
.sp-cw{margin:10px 0 0;border:1px solid var(--line);border-radius:12px;padding:8px 12px}
.sp-cw>summary{cursor:pointer;font-weight:700;overflow-wrap:anywhere;list-style:none}
.sp-cw>summary::-webkit-details-marker{display:none}
.sp-cw>summary::before{content:"\25B8";display:inline-block;width:16px}
.sp-cw[open]>summary::before{content:"\25BE"}
.sp-cw[open]>summary{margin-bottom:0}
.sp-media audio{display:block;width:100%;height:54px;padding:8px;background:var(--card)}
.sp-poll{margin:10px 0 0;font-size:15px;line-height:20px}
.sp-poll-opt{display:grid;grid-template-columns:minmax(0,1fr) auto;gap:2px 8px;margin-top:6px}
.sp-poll-opt:first-child{margin-top:0}
.sp-poll-opt>span{overflow-wrap:anywhere}
.sp-poll progress{grid-column:1/3;width:100%;height:6px;display:block;margin:0;accent-color:var(--link)}
.sp-poll-meta{color:var(--dim);font-size:13px;line-height:18px;margin-top:6px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
)css";

inline constexpr const char* kHeightScript =
    "(function(){function s(){parent.postMessage({type:\"stillpost:height\",height:"
    "Math.ceil(document.documentElement.getBoundingClientRect().height),"
    "path:location.pathname},\"*\")}addEventListener(\"load\",s);"
    "if(window.ResizeObserver)new ResizeObserver(s).observe(document.documentElement);s()})();";

// The numbers of the stylesheet that EmbedHeight adds up (px).
namespace box {
inline constexpr double kBorder = 1, kPadY = 12, kPadX = 16;
inline constexpr double kBandPadY = 8, kBandLine = 20, kAfterBand = 12;
inline constexpr double kNoteGap = 8, kNoteLine = 18;
inline constexpr double kHead = 48, kHeadGap = 10;
inline constexpr double kTextGap = 10, kTextLine = 24, kTextPx = 17;
inline constexpr double kBlockGap = 10;  // media, card, quote, poll, content warning
inline constexpr double kQuotePadY = 10, kQuotePadX = 12, kQuoteHead = 20, kQuoteTextGap = 4;
inline constexpr double kQuoteTextLine = 20, kQuoteTextPx = 15;
inline constexpr double kParentBy = 18, kParentLine = 20, kParentPx = 14, kParentLines = 3;
inline constexpr double kParentIndent = 12;
inline constexpr double kMissingPad = 24, kAudio = 54, kGridGap = 2, kTallest = 1.25;
inline constexpr double kCardPadX = 12, kCardDomain = 8 + 18, kCardLine = 20, kCardEnd = 8;
inline constexpr double kCardDescLines = 3, kCardDescPx = 14, kCardTitlePx = 15;
inline constexpr double kCwPadY = 8, kCwPadX = 12, kCwLine = 20, kCwMarker = 16;
inline constexpr double kPollLine = 20, kPollGap = 6, kPollBar = 6, kPollRowGap = 2, kPollMeta = 18;
inline constexpr double kFootGap = 12, kFootLine = 20, kFootRowGap = 4, kFootPx = 14;
inline constexpr double kEmojiEm = 1.2;
}  // namespace box

// Appends `raw` escaped for HTML text and attributes; invalid UTF-8 becomes U+FFFD.
inline void EscapeInto(std::string& out, std::string_view raw) {
  std::string storage;
  AppendHtmlEscaped(out, ValidUtf8View(raw, storage));
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
  // An embed page is 6 to 16 kB; one buffer of that size, not a string grown by doubling.
  explicit Writer(std::string_view base_path = {}, size_t reserve = 16384) : base_path_(base_path) {
    out_.reserve(reserve);
  }
  // The URL of a stored blob (fetched from `original`), or of an archived post's embed, under
  // the deployment's path.
  std::string Media(const std::string& sha, const std::string& original) const {
    if (original_media_ && IsHttpUrl(original)) {
      std::string escaped;
      EscapeInto(escaped, original);
      return escaped;
    }
    std::string url(base_path_);
    return url.append("/media/").append(sha);
  }
  void UseOriginalMedia(bool on) { original_media_ = on; }
  std::string EmbedOf(const std::string& key) const {
    std::string url(base_path_);
    return url.append("/embed/").append(key);
  }
  void Raw(std::string_view s) { out_ += s; }
  void Text(std::string_view s) { EscapeInto(out_, s); }
  void ValidText(std::string_view s) { AppendHtmlEscaped(out_, s); }  // `s` is valid UTF-8
  // A link that leaves the embed: a new tab, no referrer, no opener.
  void OpenLink(std::string_view href, std::string_view cls = {}) {
    std::string escaped;
    EscapeInto(escaped, href);
    OpenEscapedLink(escaped, cls);
  }
  // The same with `href` escaped already (one author's profile, linked three times).
  void OpenEscapedLink(std::string_view escaped_href, std::string_view cls = {},
                       bool external = true) {
    out_ += "<a";
    if (!cls.empty()) out_.append(" class=\"").append(cls).append("\"");
    out_.append(" href=\"").append(escaped_href);
    out_ += external ? "\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">"
                     : "\" target=\"_blank\" rel=\"noopener\">";
  }
  std::string& str() { return out_; }
  int NextId() { return ++ids_; }

 private:
  std::string_view base_path_;
  bool original_media_ = false;
  std::string out_;
  int ids_ = 0;
};

// A piece of rich text: text as shown (a link's display text), or a custom emoji image.
struct Span {
  std::string_view text;  // valid UTF-8, what is shown
  const Entity* entity = nullptr;
  bool emoji = false;  // a stored custom emoji: an image, `text` its shortcode
};

// Text with its entities, as the spans a reader sees; offsets are code points.
template <typename Entities>
inline std::vector<Span> Spans(std::string_view text, const Entities& entities) {
  std::vector<Span> out;
  CodePointCursor cursor(text);
  size_t pos = 0;       // code points consumed so far
  size_t pos_byte = 0;  // and their byte offset
  const auto total = cursor.ascii()
                         ? text.size()
                         : static_cast<size_t>(utf8::unchecked::distance(text.begin(), text.end()));
  for (const Entity& e : entities) {
    const size_t start = e.start(), end = e.end();
    if (start < pos || end > total || start >= end) continue;  // stale or overlapping
    const size_t start_byte = cursor.ByteAt(start);
    const size_t end_byte = cursor.ByteAt(end);
    if (start_byte > pos_byte) out.push_back({text.substr(pos_byte, start_byte - pos_byte)});
    const std::string_view slice = text.substr(start_byte, end_byte - start_byte);
    if (e.kind() == Entity::KIND_CUSTOM_EMOJI) {
      out.push_back({slice, &e, IsSha256Hex(e.target_blob())});
    } else {
      // The display text is upstream's: escaped (and repaired) where it is written.
      out.push_back({e.display().empty() ? slice : std::string_view(e.display()), &e, false});
    }
    pos = end;
    pos_byte = end_byte;
  }
  if (pos_byte < text.size()) out.push_back({text.substr(pos_byte)});
  return out;
}

template <typename Entities>
inline void RenderRich(Writer& w, const std::string& raw, const Entities& entities) {
  std::string storage;
  const std::string_view text = ValidUtf8View(raw, storage);
  for (const Span& s : Spans(text, entities)) {
    if (s.entity == nullptr) {
      w.ValidText(s.text);
    } else if (s.entity->kind() == Entity::KIND_CUSTOM_EMOJI) {
      if (s.emoji) {
        w.Raw("<img class=\"sp-emoji\" src=\"" +
              w.Media(s.entity->target_blob(), s.entity->target()) + "\" alt=\"");
        w.ValidText(s.text);
        w.Raw("\" title=\"");
        w.ValidText(s.text);
        w.Raw("\">");
      } else {
        w.ValidText(s.text);
      }
    } else if (IsHttpUrl(s.entity->target())) {
      w.OpenLink(s.entity->target());
      w.Text(s.text);
      w.Raw("</a>");
    } else {
      w.Text(s.text);
    }
  }
}

// The same text as layout runs at `px`.
template <typename Entities>
inline std::vector<detail::Run> RichRuns(const std::string& raw, const Entities& entities,
                                         double px, bool bold = false) {
  std::string storage;
  const std::string_view text = ValidUtf8View(raw, storage);
  std::vector<detail::Run> runs;
  for (const Span& s : Spans(text, entities)) {
    detail::Run r;
    r.px = px;
    r.bold = bold;
    if (s.emoji) {
      r.box_width = box::kEmojiEm * px;
    } else {
      r.text = ValidUtf8(s.text);
    }
    runs.push_back(std::move(r));
  }
  return runs;
}

inline std::vector<detail::Run> Plain(std::string_view text, double px, bool bold = false) {
  std::string storage;
  detail::Run r;
  r.text = std::string(ValidUtf8View(text, storage));
  r.px = px;
  r.bold = bold;
  return {std::move(r)};
}

inline double Lines(const std::vector<detail::Run>& runs, double width, double line) {
  return detail::LineCount(runs, width) * line;
}

// A content warning's custom emoji (:shortcode:) are the post's own: the entities of the text
// that name the same shortcode give the image.

}  // namespace stillpost::embed::detail
