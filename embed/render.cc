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
#include <map>
#include <vector>

#include "common/numbers.h"
#include "common/sha256.h"
#include "common/time.h"
#include "common/web.h"
#include "embed/detail/layout.h"

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
  const auto month = ParseDigits(std::string_view(iso).substr(5, 2)).value_or(1);
  const auto day = ParseDigits(std::string_view(iso).substr(8, 2)).value_or(1);
  return iso.substr(11, 5) + " \xC2\xB7 " + std::to_string(day) + " " +
         kMonths[static_cast<size_t>(std::clamp<uint64_t>(month, 1, 12) - 1)] + " " +
         iso.substr(0, 4) + " UTC";
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

// Platform marks and the verified badge as inline SVG, drawn here (no web font, no image).
constexpr const char* kXMark =
    "<svg viewBox=\"0 0 24 24\" width=\"20\" height=\"20\" aria-hidden=\"true\"><path "
    "fill=\"currentColor\" d=\"M3.2 3h5.1l12.5 18h-5.1zM17.6 3h2.3l-7 8-1.3-1.8zM10.4 "
    "13.6l1.3 1.8L6.3 21H4z\"/></svg>";
constexpr const char* kMastodonMark =
    "<svg viewBox=\"0 0 24 24\" width=\"22\" height=\"22\" aria-hidden=\"true\"><path "
    "fill=\"#6364ff\" d=\"M12 2C6.4 2 3 4.7 3 9.6v4.1c0 5 3.6 7.3 8.6 7.3 1.5 0 2.9-.2 "
    "4.2-.6v-2.2c-1.3.4-2.7.5-4 .4-2.2-.1-3.3-.9-3.5-2.3 1.4.3 2.9.5 4.5.5 5.2 0 8.2-2 "
    "8.2-6.8V9.6C21 4.7 17.6 2 12 2z\"/><path fill=\"#fff\" d=\"M7.4 13.4V9.3c0-1.6 1-2.6 "
    "2.5-2.6 1 0 1.7.5 2.1 1.3.4-.8 1.1-1.3 2.1-1.3 1.5 0 2.5 1 2.5 "
    "2.6v4.1h-1.8V9.5c0-.8-.4-1.2-1-1.2"
    "-.7 0-1 .5-1 1.3v2.1h-1.6V9.6c0-.8-.4-1.3-1-1.3-.7 0-1.1.4-1.1 1.2v3.9z\"/></svg>";

std::string BadgeSvg(const char* fill, const char* label) {
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
const char* kCss = R"css(
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

const char* kHeightScript =
    "(function(){function s(){parent.postMessage({type:\"stillpost:height\",height:"
    "Math.ceil(document.documentElement.getBoundingClientRect().height),"
    "path:location.pathname},\"*\")}addEventListener(\"load\",s);"
    "if(window.ResizeObserver)new ResizeObserver(s).observe(document.documentElement);s()})();";

// The numbers of the stylesheet that EmbedHeight adds up (px).
namespace box {
constexpr double kBorder = 1, kPadY = 12, kPadX = 16;
constexpr double kBandPadY = 8, kBandLine = 20, kAfterBand = 12;
constexpr double kNoteGap = 8, kNoteLine = 18;
constexpr double kHead = 48, kHeadGap = 10;
constexpr double kTextGap = 10, kTextLine = 24, kTextPx = 17;
constexpr double kBlockGap = 10;  // media, card, quote, poll, content warning
constexpr double kQuotePadY = 10, kQuotePadX = 12, kQuoteHead = 20, kQuoteTextGap = 4;
constexpr double kQuoteTextLine = 20, kQuoteTextPx = 15;
constexpr double kParentBy = 18, kParentLine = 20, kParentPx = 14, kParentLines = 3;
constexpr double kParentIndent = 12;
constexpr double kMissingPad = 24, kAudio = 54, kGridGap = 2, kTallest = 1.25;
constexpr double kCardPadX = 12, kCardDomain = 8 + 18, kCardLine = 20, kCardEnd = 8;
constexpr double kCardDescLines = 3, kCardDescPx = 14, kCardTitlePx = 15;
constexpr double kCwPadY = 8, kCwPadX = 12, kCwLine = 20, kCwMarker = 16;
constexpr double kPollLine = 20, kPollGap = 6, kPollBar = 6, kPollRowGap = 2, kPollMeta = 18;
constexpr double kFootGap = 12, kFootLine = 20, kFootRowGap = 4, kFootPx = 14;
constexpr double kEmojiEm = 1.2;
}  // namespace box

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
  // An embed page is 6 to 16 kB; one buffer of that size, not a string grown by doubling.
  explicit Writer(std::string_view base_path = {}, size_t reserve = 16384) : base_path_(base_path) {
    out_.reserve(reserve);
  }
  // The URL of a stored blob, or of an archived post's embed, under the deployment's path.
  std::string Media(const std::string& sha) const {
    std::string url(base_path_);
    return url.append("/media/").append(sha);
  }
  std::string EmbedOf(const std::string& key) const {
    std::string url(base_path_);
    return url.append("/embed/").append(key);
  }
  void Raw(std::string_view s) { out_ += s; }
  void Text(std::string_view s) { EscapeInto(out_, s); }
  void ValidText(std::string_view s) { EscapeValidInto(out_, s); }  // `s` is valid UTF-8
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
std::vector<Span> Spans(std::string_view text, const Entities& entities) {
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
void RenderRich(Writer& w, const std::string& raw, const Entities& entities) {
  std::string storage;
  const std::string_view text = ValidView(raw, storage);
  for (const Span& s : Spans(text, entities)) {
    if (s.entity == nullptr) {
      w.ValidText(s.text);
    } else if (s.entity->kind() == Entity::KIND_CUSTOM_EMOJI) {
      if (s.emoji) {
        w.Raw("<img class=\"sp-emoji\" src=\"" + w.Media(s.entity->target_blob()) + "\" alt=\"");
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
std::vector<detail::Run> RichRuns(const std::string& raw, const Entities& entities, double px,
                                  bool bold = false) {
  std::string storage;
  const std::string_view text = ValidView(raw, storage);
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

std::vector<detail::Run> Plain(std::string_view text, double px, bool bold = false) {
  std::string storage;
  detail::Run r;
  r.text = std::string(ValidView(text, storage));
  r.px = px;
  r.bold = bold;
  return {std::move(r)};
}

double Lines(const std::vector<detail::Run>& runs, double width, double line) {
  return detail::LineCount(runs, width) * line;
}

// A content warning's custom emoji (:shortcode:) are the post's own: the entities of the text
// that name the same shortcode give the image.
std::vector<Entity> CwEntities(const Post& post) {
  std::vector<Entity> out;
  std::string storage;
  const std::string_view cw = ValidView(post.content_warning(), storage);
  std::map<std::string, const Entity*> emoji;
  {
    std::string text_storage;
    const std::string_view text = ValidView(post.text(), text_storage);
    for (const Span& s : Spans(text, post.entities())) {
      if (s.emoji) emoji.emplace(std::string(s.text), s.entity);
    }
  }
  // Mastodon names a CW's emoji in the status's emoji list, which fetcher/ keeps as entities
  // of the text; entities of the display name count too.
  for (const Entity& e : post.author().name_entities()) {
    if (e.kind() == Entity::KIND_CUSTOM_EMOJI && IsSha256Hex(e.target_blob())) {
      const std::string& name = post.author().display_name();
      std::string name_storage;
      const std::string_view n = ValidView(name, name_storage);
      CodePointCursor c(n);
      const size_t a = c.ByteAt(e.start()), b = c.ByteAt(e.end());
      emoji.emplace(std::string(n.substr(a, b - a)), &e);
    }
  }
  if (emoji.empty()) return out;
  // Walk the CW by code points, matching :shortcode: spans.
  std::vector<size_t> starts;  // byte offset of each code point
  for (auto it = cw.begin(); it != cw.end(); utf8::unchecked::next(it)) {
    starts.push_back(static_cast<size_t>(it - cw.begin()));
  }
  starts.push_back(cw.size());
  for (size_t i = 0; i + 1 < starts.size(); ++i) {
    if (cw[starts[i]] != ':') continue;
    for (size_t j = i + 2; j + 1 < starts.size() && j - i < 64; ++j) {
      if (cw[starts[j]] != ':') continue;
      const std::string code(cw.substr(starts[i], starts[j + 1] - starts[i]));
      if (auto it = emoji.find(code); it != emoji.end()) {
        Entity e = *it->second;
        e.set_start(static_cast<uint32_t>(i));
        e.set_end(static_cast<uint32_t>(j + 1));
        out.push_back(std::move(e));
        i = j;
      }
      break;
    }
  }
  return out;
}

// Where a handle's profile is, for an author without a profile URL.
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

std::string AuthorUrl(const Post& post) {
  const auto& a = post.author();
  if (IsHttpUrl(a.profile_url())) return a.profile_url();
  return a.handle().empty() ? "" : ProfileUrl(post, a.handle());
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

uint64_t PollTotal(const proto::Poll& poll) {
  uint64_t total = 0;
  for (const auto& opt : poll.options()) {
    total = opt.votes() > UINT64_MAX - total ? UINT64_MAX : total + opt.votes();  // saturating
  }
  return total;
}

std::string Percent(uint64_t votes, uint64_t total) {
  // In floating point: votes from upstream can be as large as their type allows.
  const auto pct =
      total == 0 ? 0ULL
                 : static_cast<unsigned long long>(std::clamp(
                       std::round(100.0 * static_cast<double>(votes) / static_cast<double>(total)),
                       0.0, 100.0));
  return std::to_string(pct) + "%";
}

void RenderPoll(Writer& w, const Post& post) {
  if (!post.has_poll() || post.poll().options_size() == 0) return;
  const auto& poll = post.poll();
  const uint64_t total = PollTotal(poll);
  w.Raw("<div class=\"sp-poll\" role=\"list\" aria-label=\"Poll results at capture\">");
  for (const auto& opt : poll.options()) {
    const std::string pct = Percent(opt.votes(), total);
    w.Raw("<div class=\"sp-poll-opt\" role=\"listitem\"><span dir=\"auto\">");
    w.Text(opt.title());
    w.Raw("</span><span>" + pct + "</span><progress max=\"100\" value=\"" +
          pct.substr(0, pct.size() - 1) + "\" aria-hidden=\"true\"></progress></div>");
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

double PollHeight(const Post& post, double width) {
  if (!post.has_poll() || post.poll().options_size() == 0) return 0;
  const uint64_t total = PollTotal(post.poll());
  double h = box::kBlockGap;
  bool first = true;
  for (const auto& opt : post.poll().options()) {
    const double pct = detail::TextWidth(Percent(opt.votes(), total), 15);
    const double title =
        std::max(1.0,
                 static_cast<double>(detail::LineCount(Plain(opt.title(), 15), width - pct - 8))) *
        box::kPollLine;
    h += (first ? 0 : box::kPollGap) + title + box::kPollRowGap + box::kPollBar;
    first = false;
  }
  return h + box::kPollGap + box::kPollMeta;
}

void RenderBadge(Writer& w, proto::VerifiedKind kind) {
  switch (kind) {
    case proto::VERIFIED_NONE:
      return;
    case proto::VERIFIED_BUSINESS: {
      static const std::string gold = BadgeSvg("#e2b719", "Verified organisation");
      w.Raw(gold);
      return;
    }
    case proto::VERIFIED_GOVERNMENT: {
      static const std::string grey = BadgeSvg("#829aab", "Verified government account");
      w.Raw(grey);
      return;
    }
    default: {
      static const std::string blue = BadgeSvg("#1d9bf0", "Verified account");
      w.Raw(blue);
      return;
    }
  }
}

// Avatar, name (truncated before the badge is) and handle, each a link to the profile; the
// platform's mark for the embed's own post. `href`, when given, is where the name links
// instead (a quoted post: its own archived embed).
void RenderAuthor(Writer& w, const Post& post, bool logo, const std::string& href = {}) {
  const auto& a = post.author();
  const std::string target = href.empty() ? AuthorUrl(post) : href;
  const bool linked = !target.empty() && (!href.empty() || IsHttpUrl(target));
  std::string escaped;
  EscapeInto(escaped, target);
  // Our own archived embed (a quoted post) opens with a referrer policy of its own.
  const bool external = href.empty();
  w.Raw("<header class=\"sp-head\">");
  if (linked) {
    w.OpenEscapedLink(escaped, "sp-avatar-link", external);
  } else {
    w.Raw("<span class=\"sp-avatar-link\">");
  }
  if (!a.avatar_blob().empty()) {
    w.Raw("<img class=\"sp-avatar\" src=\"" + w.Media(a.avatar_blob()) +
          "\" alt=\"\" width=\"48\" height=\"48\">");
  } else {
    w.Raw("<span class=\"sp-avatar\" aria-hidden=\"true\"></span>");
  }
  w.Raw(linked ? "</a>" : "</span>");
  w.Raw("<span class=\"sp-names\">");
  auto open = [&](const char* cls) {
    if (linked) {
      w.OpenEscapedLink(escaped, cls, external);
    } else {
      w.Raw(std::string("<span class=\"") + cls + "\">");
    }
  };
  w.Raw("<span class=\"sp-name-row\">");
  open("sp-name");
  w.Raw("<bdi>");
  if (a.display_name().empty()) {
    w.Text(a.handle());
  } else {
    RenderRich(w, a.display_name(), a.name_entities());
  }
  w.Raw("</bdi>");
  w.Raw(linked ? "</a>" : "</span>");
  RenderBadge(w, a.verified());
  w.Raw("</span>");
  open("sp-handle");
  w.Raw("@<bdi>");
  w.Text(a.handle());
  w.Raw("</bdi>");
  if (!a.label().empty()) {
    w.Raw("<span class=\"sp-label\" title=\"Affiliation\">");
    w.Text(a.label());
    w.Raw("</span>");
  }
  w.Raw(linked ? "</a>" : "</span>");
  w.Raw("</span>");
  if (logo) {
    const bool x =
        post.platform() == proto::PLATFORM_X || post.platform() == proto::PLATFORM_UNSPECIFIED;
    w.Raw("<span class=\"sp-logo\" role=\"img\" aria-label=\"");
    w.Raw(PlatformName(post.platform()));
    w.Raw("\">");
    w.Raw(x ? kXMark : (post.platform() == proto::PLATFORM_BLUESKY ? kButterfly : kMastodonMark));
    w.Raw("</span>");
  }
  w.Raw("</header>");
}

int ShownMedia(const Post& post) { return std::min(post.media_size(), 4); }

// Taller than 4:5 (height over width above kTallest), by the platform's metadata.
bool IsTall(const Media& m) {
  return m.width() > 0 && m.height() > 0 && m.kind() != Media::KIND_AUDIO && !m.blob().empty() &&
         static_cast<double>(m.height()) > box::kTallest * static_cast<double>(m.width());
}

void RenderMedia(Writer& w, const Post& post) {
  const int n = ShownMedia(post);
  if (n == 0) return;
  w.Raw("<div class=\"sp-media sp-media-" + std::to_string(n) + "\">");
  for (int i = 0; i < n; ++i) {
    const Media& m = post.media(i);
    // Width and height from the platform's metadata: the browser reserves the room before the
    // bytes arrive, so nothing moves when they do.
    std::string dims = m.width() > 0 && m.height() > 0
                           ? " width=\"" + std::to_string(m.width()) + "\" height=\"" +
                                 std::to_string(m.height()) + "\""
                           : "";
    // Alone, a portrait taller than 4:5 is shown 4:5 (a photo cropped, a video letterboxed), as
    // the platforms do, so one image does not take a whole screen.
    if (n == 1 && IsTall(m)) dims += " class=\"sp-tall\"";
    w.Raw("<div class=\"sp-cell\">");
    if (m.blob().empty()) {
      // Why it failed is for the archive's operators (show, the API), not for readers.
      w.Raw("<div class=\"sp-missing\">This media could not be archived</div></div>");
      continue;
    }
    if (m.kind() == Media::KIND_PHOTO) {
      w.Raw("<img src=\"" + w.Media(m.blob()) + "\" alt=\"");
      w.Text(m.alt_text().empty() ? "Image" : m.alt_text());
      w.Raw("\"" + dims + " loading=\"lazy\">");
    } else if (m.kind() == Media::KIND_AUDIO) {
      w.Raw("<audio controls preload=\"none\" src=\"" + w.Media(m.blob()) + "\" aria-label=\"");
      w.Text(m.alt_text().empty() ? "Audio by @" + post.author().handle() : m.alt_text());
      w.Raw("\"></audio>");
    } else {
      const bool gif = m.kind() == Media::KIND_GIF;
      w.Raw(gif ? "<video autoplay muted loop playsinline"
                : "<video controls preload=\"none\" playsinline");
      if (!m.poster_blob().empty()) w.Raw(" poster=\"" + w.Media(m.poster_blob()) + "\"");
      w.Raw(dims);
      w.Raw(" aria-label=\"");
      w.Text(!m.alt_text().empty()
                 ? m.alt_text()
                 : std::string(gif ? "GIF" : "Video") + " by @" + post.author().handle());
      w.Raw("\"><source src=\"" + w.Media(m.blob()) + "\" type=\"");
      w.Text(m.mime().empty() ? "video/mp4" : m.mime());
      w.Raw("\"></video>");
    }
    if (!m.alt_text().empty() && m.kind() != Media::KIND_AUDIO) {
      w.Raw("<span class=\"sp-alt\" title=\"");
      w.Text(m.alt_text());
      w.Raw("\" aria-hidden=\"true\">ALT</span>");
    }
    w.Raw("</div>");
  }
  w.Raw("</div>");
}

// The height of one cell shown whole (one item alone): its own aspect ratio, at most 5:4 tall.
double CellHeight(const Media& m, double width) {
  if (m.blob().empty()) {
    return 2 * box::kMissingPad + Lines(Plain("This media could not be archived", 13),
                                        width - 2 * box::kMissingPad, box::kNoteLine);
  }
  if (m.kind() == Media::KIND_AUDIO) return box::kAudio;
  if (IsTall(m)) return width * box::kTallest;
  if (m.width() > 0 && m.height() > 0) {
    return width * static_cast<double>(m.height()) / static_cast<double>(m.width());
  }
  return width * 9 / 16;  // no dimensions: a guess the browser corrects
}

double MediaHeight(const Post& post, double width) {
  const int n = ShownMedia(post);
  if (n == 0) return 0;
  const double inner = width - 2 * box::kBorder;
  double h = 0;
  if (n == 1) {
    h = CellHeight(post.media(0), inner);
  } else {
    // Square cells in two columns; three: the first spans both rows.
    const double cell = (inner - box::kGridGap) / 2;
    h = n == 2 ? cell : 2 * cell + box::kGridGap;
  }
  return box::kBlockGap + 2 * box::kBorder + h;
}

void RenderCard(Writer& w, const Post& post) {
  if (!post.has_card() || post.card().title().empty()) return;
  const auto& c = post.card();
  const std::string& href = c.expanded_url().empty() ? c.url() : c.expanded_url();
  const bool link = IsHttpUrl(href);
  if (link) {
    w.OpenLink(href, "sp-card");
  } else {
    w.Raw("<div class=\"sp-card\">");
  }
  if (!c.image_blob().empty()) {
    w.Raw("<img src=\"" + w.Media(c.image_blob()) + "\" alt=\"");
    w.Text(c.image_alt());
    w.Raw("\"");
    if (c.image_width() > 0 && c.image_height() > 0) {
      w.Raw(" width=\"" + std::to_string(c.image_width()) + "\" height=\"" +
            std::to_string(c.image_height()) + "\"");
    } else {
      // No size from the platform: the usual link-preview shape, cropped to it.
      w.Raw(" class=\"sp-wide\"");
    }
    w.Raw(" loading=\"lazy\">");
  }
  w.Raw("<span class=\"sp-card-domain\">");
  w.Text(c.domain());
  w.Raw("</span><strong class=\"sp-card-title\" dir=\"auto\">");
  w.Text(c.title());
  w.Raw("</strong>");
  if (!c.description().empty()) {
    w.Raw("<span class=\"sp-card-desc\" dir=\"auto\">");
    w.Text(c.description());
    w.Raw("</span>");
  }
  w.Raw("<span class=\"sp-card-end\"></span>");
  w.Raw(link ? "</a>" : "</div>");
}

double CardHeight(const Post& post, double width) {
  if (!post.has_card() || post.card().title().empty()) return 0;
  const auto& c = post.card();
  const double inner = width - 2 * box::kBorder;
  double h = box::kBlockGap + 2 * box::kBorder;
  if (!c.image_blob().empty()) {
    h += c.image_width() > 0 && c.image_height() > 0
             ? inner * static_cast<double>(c.image_height()) / static_cast<double>(c.image_width())
             : inner / 1.91;  // the usual og:image shape, when the platform gave no size
  }
  const double text = inner - 2 * box::kCardPadX;
  h += box::kCardDomain + Lines(Plain(c.title(), box::kCardTitlePx, true), text, box::kCardLine);
  if (!c.description().empty()) {
    h += std::min<double>(box::kCardDescLines,
                          detail::LineCount(Plain(c.description(), box::kCardDescPx), text)) *
         box::kCardLine;
  }
  return h + box::kCardEnd;
}

bool HasText(const Post& post) { return !post.text().empty(); }

// A reply's parent, compactly: who, and the start of what they said; the whole of it on the
// platform (or the archived embed, when the parent is in the archive).
void RenderParent(Writer& w, const Post& post, const EmbedOptions& o) {
  if (o.hide_thread || post.reply_to_handle().empty()) return;
  const bool copy = post.has_reply_to() && post.reply_to().has_author();
  std::string href;
  if (copy && IsHttpUrl(post.reply_to().url())) href = post.reply_to().url();
  if (href.empty()) href = ProfileUrl(post, post.reply_to_handle());
  if (IsHttpUrl(href)) {
    w.OpenLink(href, "sp-parent");
  } else {
    w.Raw("<div class=\"sp-parent\">");
  }
  w.Raw("<span class=\"sp-parent-by\">Replying to ");
  if (copy && !post.reply_to().author().display_name().empty()) {
    w.Text(post.reply_to().author().display_name());
    w.Raw(" ");
  }
  w.Raw("@");
  w.Text(post.reply_to_handle());
  w.Raw("</span>");
  if (copy && !post.reply_to().text().empty()) {
    w.Raw("<span class=\"sp-parent-text\" dir=\"auto\">");
    w.Text(post.reply_to().text());
    w.Raw("</span>");
  }
  w.Raw(IsHttpUrl(href) ? "</a>" : "</div>");
}

double ParentHeight(const Post& post, const EmbedOptions& o, double width) {
  if (o.hide_thread || post.reply_to_handle().empty()) return 0;
  double h = box::kParentBy;
  if (post.has_reply_to() && post.reply_to().has_author() && !post.reply_to().text().empty()) {
    h += std::min<double>(box::kParentLines,
                          detail::LineCount(Plain(post.reply_to().text(), box::kParentPx),
                                            width - box::kParentIndent)) *
         box::kParentLine;
  }
  return h;
}

bool Sensitive(const Post& post) {
  return post.content_warning().empty() && post.media_size() > 0 &&
         (post.sensitive() || HasSensitiveLabel(post));
}

// What follows the header: the text, poll, media and card, behind the content warning if any.
void RenderContent(Writer& w, const Post& post, const EmbedOptions& o) {
  const bool cw = !post.content_warning().empty();
  if (cw) {
    w.Raw("<details class=\"sp-cw\"><summary dir=\"auto\">");
    RenderRich(w, post.content_warning(), CwEntities(post));
    w.Raw("</summary>");
  }
  if (HasText(post)) {
    w.Raw("<div class=\"sp-text\" dir=\"auto\"");
    if (!post.lang().empty()) {
      w.Raw(" lang=\"");
      w.Text(post.lang());
      w.Raw("\"");
    }
    w.Raw(">");
    RenderRich(w, post.text(), post.entities());
    w.Raw("</div>");
  }
  if (post.text_truncated()) {
    w.Raw("<p class=\"sp-note\">This is a long post; the platform gave only its beginning.</p>");
  }
  RenderPoll(w, post);
  if (!o.hide_media) {
    const bool sensitive = Sensitive(post);
    if (sensitive) {
      // Blurred until the reader asks: a checkbox and CSS, no script.
      const std::string id = "sp-sens-" + std::to_string(w.NextId());
      w.Raw("<div class=\"sp-sens\"><input type=\"checkbox\" class=\"sp-sens-toggle\" id=\"" + id +
            "\"><label for=\"" + id + "\">Sensitive media \xC2\xB7 show</label>");
    }
    RenderMedia(w, post);
    if (sensitive) w.Raw("</div>");
    RenderCard(w, post);
  }
  if (cw) w.Raw("</details>");
}

double ContentHeight(const Post& post, const EmbedOptions& o, double width, bool nested) {
  if (!post.content_warning().empty()) {
    // Closed until the reader opens it: the summary is what shows.
    std::vector<detail::Run> runs = {detail::Run{"", 15, true, false, box::kCwMarker}};
    for (auto& r : RichRuns(post.content_warning(), CwEntities(post), 15, true)) {
      runs.push_back(std::move(r));
    }
    return box::kBlockGap + 2 * box::kBorder + 2 * box::kCwPadY +
           Lines(runs, width - 2 * box::kBorder - 2 * box::kCwPadX, box::kCwLine);
  }
  double h = 0;
  if (HasText(post)) {
    const double px = nested ? box::kQuoteTextPx : box::kTextPx;
    const double line = nested ? box::kQuoteTextLine : box::kTextLine;
    h += (nested ? box::kQuoteTextGap : box::kTextGap) +
         Lines(RichRuns(post.text(), post.entities(), px), width, line);
  }
  if (post.text_truncated()) {
    h += box::kNoteGap +
         Lines(Plain("This is a long post; the platform gave only its beginning.", 13), width,
               box::kNoteLine);
  }
  h += PollHeight(post, width);
  if (!o.hide_media) h += MediaHeight(post, width) + CardHeight(post, width);
  return h;
}

std::string QuoteNote(const Post& quoted) {
  return quoted.has_quoted() || !quoted.quoted_key().empty() ? "Quotes another post" : "";
}

void RenderQuote(Writer& w, const Post& post, const EmbedOptions& o) {
  if (post.has_quoted()) {
    const Post& q = post.quoted();
    w.Raw("<div class=\"sp-quote\">");
    // The quoted post's own embed, when it is archived under its key.
    const std::string href = post.quoted_key().empty() ? "" : w.EmbedOf(post.quoted_key());
    RenderAuthor(w, q, false, href);
    RenderContent(w, q, o);
    if (const std::string note = QuoteNote(q); !note.empty()) {
      w.Raw("<p class=\"sp-note\">" + note + "</p>");
    }
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

double QuoteHeight(const Post& post, const EmbedOptions& o, double width) {
  const double inner = width - 2 * box::kBorder - 2 * box::kQuotePadX;
  const double frame = box::kBlockGap + 2 * box::kBorder + 2 * box::kQuotePadY;
  if (post.has_quoted()) {
    const Post& q = post.quoted();
    double h = frame + box::kQuoteHead + ContentHeight(q, o, inner, true);
    if (const std::string note = QuoteNote(q); !note.empty()) {
      h += box::kNoteGap + Lines(Plain(note, 13), inner, box::kNoteLine);
    }
    return h;
  }
  if (!post.quoted_key().empty() || !post.quoted_unavailable().empty()) {
    std::string text = "Quoted post unavailable";
    if (!post.quoted_unavailable().empty()) text += ": " + post.quoted_unavailable();
    return frame + Lines(Plain(text, 13), inner, box::kNoteLine);
  }
  return 0;
}

// The embed's own post: the parent it replies to, its author with the platform's mark, what it
// says, and what it quotes.
void RenderPostBody(Writer& w, const Post& post, const EmbedOptions& o) {
  RenderParent(w, post, o);
  RenderAuthor(w, post, /*logo=*/true);
  RenderContent(w, post, o);
  RenderQuote(w, post, o);
}

// The gone band's words: what happened, and the dates (never split across lines).
std::vector<std::pair<std::string, bool>> BandParts(const EmbedInput& in, const EmbedOptions& o,
                                                    const std::string& platform) {
  const bool gone = in.state.current() == proto::PostState::CURRENT_GONE;
  const UnixMicros shown_at = Micros(in.capture.captured_at());
  std::vector<std::pair<std::string, bool>> parts;  // text, nowrap
  if (o.pinned) {
    parts.emplace_back("As captured ", false);
    parts.emplace_back(FormatDate(shown_at), true);
    if (gone) {
      parts.emplace_back(" \xC2\xB7 " + GoneWord(in.state.gone_kind(), platform) + " since ",
                         false);
      parts.emplace_back(FormatDate(Micros(in.state.gone_since())), true);
    }
  } else if (gone) {
    parts.emplace_back(GoneWord(in.state.gone_kind(), platform) + " \xE2\x80\x94 last seen ",
                       false);
    parts.emplace_back(FormatDate(Micros(in.state.has_latest_good_at() ? in.state.latest_good_at()
                                                                       : in.capture.captured_at())),
                       true);
    parts.emplace_back(", archived ", false);
    parts.emplace_back(FormatDate(Micros(in.state.first_seen())), true);
  }
  return parts;
}

std::string PartialNote(const proto::Capture& c) {
  if (!c.partial()) return "";
  return c.partial_reason().find("oEmbed") != std::string::npos
             ? "Only the text of this post was archived."
             : "Some media could not be archived.";
}

// The footer's rows, each a list of pieces that never break inside (time, counts, links).
struct FootItem {
  std::string html;
  std::string text;  // what it shows, for its width
};

std::vector<std::vector<FootItem>> FooterRows(const Post& post, UnixMicros shown_at,
                                              const std::string& platform) {
  std::vector<std::vector<FootItem>> rows;
  std::vector<FootItem> first;
  if (post.has_created_at()) {
    const std::string when = HumanTime(Micros(post.created_at()));
    std::string html =
        "<time datetime=\"" + FormatRfc3339(Micros(post.created_at())) + "\">" + when + "</time>";
    if (IsHttpUrl(post.url())) {
      // The time is the post's permalink, as on the platform.
      std::string link;
      {
        Writer lw({}, 256);
        lw.OpenLink(post.url(), "sp-time");
        link = lw.str();
      }
      html = link + html + "</a>";
    }
    first.push_back({html, when});
  }
  if (post.has_edited_at()) first.push_back({"Edited", "Edited"});
  if (!first.empty()) rows.push_back(std::move(first));
  const auto& c = post.counts();
  std::vector<FootItem> counts;
  auto count = [&](bool has, uint64_t n, const char* one, const char* many) {
    if (!has) return;
    const std::string t = Thousands(n) + " " + (n == 1 ? one : many);
    counts.push_back({t, t});
  };
  count(c.has_likes(), c.likes(), "like", "likes");
  count(c.has_reposts(), c.reposts(), "repost", "reposts");
  count(c.has_replies(), c.replies(), "reply", "replies");
  if (!counts.empty()) {
    counts.back().html += " at capture";
    counts.back().text += " at capture";
    rows.push_back(std::move(counts));
  }
  std::vector<FootItem> last;
  const std::string archived = "Archived " + FormatDate(shown_at);
  last.push_back({"Archived <time datetime=\"" + FormatRfc3339(shown_at) + "\">" +
                      FormatDate(shown_at) + "</time>",
                  archived});
  if (IsHttpUrl(post.url())) {
    Writer lw({}, 256);
    lw.OpenLink(post.url(), "sp-view");
    last.push_back({lw.str() + "View on " + platform + "</a>", "View on " + platform});
  }
  rows.push_back(std::move(last));
  return rows;
}

double FooterHeight(const std::vector<std::vector<FootItem>>& rows, double width) {
  double h = box::kFootGap;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::vector<detail::Run> runs;
    for (size_t k = 0; k < rows[i].size(); ++k) {
      if (k > 0) runs.push_back(Plain(" \xC2\xB7 ", box::kFootPx)[0]);
      detail::Run r = Plain(rows[i][k].text, box::kFootPx)[0];
      r.nowrap = true;
      runs.push_back(std::move(r));
    }
    h += (i == 0 ? 0 : box::kFootRowGap) + Lines(runs, width, box::kFootLine);
  }
  return h;
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
  Writer w(o.base_path);
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
    w.Raw("<link rel=\"alternate\" type=\"application/json+oembed\" href=\"");
    w.Text(o.base_path);
    w.Raw("/oembed?format=json&amp;url=");
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

  // The band: gone, or a capture asked for by time.
  if (const auto parts = BandParts(in, o, platform); !parts.empty()) {
    w.Raw(o.pinned ? "<div class=\"sp-band sp-pinned\" role=\"status\">"
                   : "<div class=\"sp-band\" role=\"status\">");
    for (const auto& [text, nowrap] : parts) {
      if (nowrap) w.Raw("<span class=\"nw\">");
      w.Text(text);
      if (nowrap) w.Raw("</span>");
    }
    w.Raw("</div>\n");
  }
  if (const std::string note = PartialNote(in.capture); !note.empty()) {
    w.Raw("<p class=\"sp-note\">" + note + "</p>\n");
  }
  RenderPostBody(w, post, o);

  const UnixMicros shown_at = Micros(in.capture.captured_at());
  w.Raw("\n<footer class=\"sp-foot\">");
  for (const auto& row : FooterRows(post, shown_at, platform)) {
    w.Raw("<div>");
    for (size_t k = 0; k < row.size(); ++k) {
      if (k > 0) w.Raw(" \xC2\xB7 ");
      w.Raw("<span class=\"nw\">" + row[k].html + "</span>");
    }
    w.Raw("</div>");
  }
  w.Raw("</footer>\n</article>\n<script>");
  w.Raw(kHeightScript);
  w.Raw("</script>\n</body>\n</html>\n");
  return std::move(w.str());
}

int EmbedHeight(const EmbedInput& in, const EmbedOptions& o, int frame_width) {
  const Post& post = in.capture.post();
  const std::string platform = PlatformName(post.platform());
  const double outer = std::clamp(frame_width, kMinWidth, kMaxWidth);
  const double width = outer - 2 * box::kBorder - 2 * box::kPadX;
  // Blocks top to bottom, each with the gap above it; the first block's gap is 0.
  double h = 0;
  bool first = true;
  auto block = [&](double gap, double height) {
    h += (first ? 0 : gap) + height;
    first = false;
  };
  if (const auto parts = BandParts(in, o, platform); !parts.empty()) {
    std::vector<detail::Run> runs;
    for (const auto& [text, nowrap] : parts) {
      detail::Run r = Plain(text, 14, true)[0];
      r.nowrap = nowrap;
      runs.push_back(std::move(r));
    }
    // Pulled up over the article's padding: its own padding less the 12 px it covers.
    h += 2 * box::kBandPadY - box::kPadY + Lines(runs, width, box::kBandLine) + box::kAfterBand;
    first = true;  // what follows the band sits 12 px below it, whatever its own gap
  }
  if (const std::string note = PartialNote(in.capture); !note.empty()) {
    block(box::kNoteGap, Lines(Plain(note, 13), width, box::kNoteLine));
  }
  if (const double parent = ParentHeight(post, o, width); parent > 0) block(0, parent);
  block(box::kHeadGap, box::kHead);
  h += ContentHeight(post, o, width, false) + QuoteHeight(post, o, width);
  h += FooterHeight(FooterRows(post, Micros(in.capture.captured_at()), platform), width);
  return static_cast<int>(std::ceil(h + 2 * box::kPadY + 2 * box::kBorder));
}

namespace {

struct Frame {
  int width = 0;
  int height = 0;
  std::string html;
};

Frame MakeFrame(const EmbedInput& in, const OEmbedOptions& o) {
  const Post& post = in.capture.post();
  Frame f;
  f.width = std::clamp(o.maxwidth <= 0 ? kMaxWidth : o.maxwidth, kMinWidth, kMaxWidth);
  EmbedOptions eo;
  eo.theme = o.theme;
  eo.hide_media = o.hide_media;
  eo.hide_thread = o.hide_thread;
  f.height = EmbedHeight(in, eo, f.width);
  // maxheight: the frame no taller; the embed scrolls inside it.
  const bool capped = o.maxheight > 0 && f.height > o.maxheight;
  if (capped) f.height = o.maxheight;
  std::string src = std::string(o.base) + "/embed/" + post.key();
  std::string query;
  auto add = [&query](const std::string& p) { query += (query.empty() ? "?" : "&") + p; };
  if (o.theme == Theme::kDark) add("theme=dark");
  if (o.theme == Theme::kLight) add("theme=light");
  if (o.hide_media) add("hide_media=1");
  if (o.hide_thread) add("hide_thread=1");
  src += query;
  std::string style = "border:0;max-width:100%;display:block;";
  style += o.align == "center"  ? "margin:10px auto"
           : o.align == "right" ? "margin:10px 0 10px auto"
           : o.align == "left"  ? "margin:10px auto 10px 0"
                                : "margin:10px 0";
  std::string& html = f.html;
  html = "<iframe class=\"stillpost-embed\" src=\"" + HtmlEscape(src) + "\" width=\"" +
         std::to_string(f.width) + "\" height=\"" + std::to_string(f.height) + "\"";
  if (o.maxheight > 0) html += " data-maxheight=\"" + std::to_string(o.maxheight) + "\"";
  if (!o.align.empty()) html += " data-align=\"" + HtmlEscape(o.align) + "\"";
  html += std::string(" scrolling=\"") + (capped ? "auto" : "no") + "\" style=\"" + style +
          "\" loading=\"lazy\" sandbox=\"allow-scripts allow-popups "
          "allow-popups-to-escape-sandbox\" referrerpolicy=\"no-referrer\" title=\"" +
          HtmlEscape("Archived post by " + post.author().display_name()) + "\"></iframe>";
  // Like X's oEmbed with widgets.js: our script keeps the frame as tall as its post (a reader's
  // fonts, an image that is taller than its metadata said); omit_script leaves it out.
  if (!o.omit_script) {
    html += "<script async src=\"" + HtmlEscape(std::string(o.base) + "/embed.js") +
            "\" charset=\"utf-8\"></script>";
  }
  return f;
}

}  // namespace

std::string EmbedIframe(const EmbedInput& in, const OEmbedOptions& o) {
  return MakeFrame(in, o).html;
}

std::string RenderOEmbed(const EmbedInput& in, const OEmbedOptions& o) {
  const Post& post = in.capture.post();
  Frame f = MakeFrame(in, o);
  boost::json::object j;
  j["type"] = "rich";
  j["version"] = "1.0";
  j["provider_name"] = "stillpost";
  j["provider_url"] = std::string(o.base);
  j["author_name"] = ValidUtf8(post.author().display_name());
  j["author_url"] = IsHttpUrl(post.author().profile_url()) ? post.author().profile_url() : "";
  j["url"] = IsHttpUrl(post.url()) ? post.url() : "";  // only http(s) URLs leave the server
  j["width"] = f.width;
  j["height"] = f.height;
  j["cache_age"] = 86400;
  j["html"] = std::move(f.html);
  for (const Media& m : post.media()) {
    const std::string& thumb = m.kind() == Media::KIND_PHOTO ? m.blob() : m.poster_blob();
    if (thumb.empty()) continue;
    j["thumbnail_url"] = std::string(o.base) + MediaUrl(thumb);
    j["thumbnail_width"] = m.width();
    j["thumbnail_height"] = m.height();
    break;
  }
  return boost::json::serialize(j);
}

}  // namespace stillpost::embed
