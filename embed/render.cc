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
#include "embed/detail/blocks.h"
#include "embed/detail/layout.h"
#include "embed/detail/render_kit.h"
#include "proto/time.h"

namespace stillpost::embed {

using proto::MicrosOf;

using namespace detail;  // NOLINT: the renderer's own kit (embed/detail/render_kit.h)

namespace {

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
  const UnixMicros shown_at = MicrosOf(in.capture.captured_at());
  std::vector<std::pair<std::string, bool>> parts;  // text, nowrap
  if (o.pinned) {
    parts.emplace_back("As captured ", false);
    parts.emplace_back(FormatDate(shown_at), true);
    if (gone) {
      parts.emplace_back(" \xC2\xB7 " + GoneWord(in.state.gone_kind(), platform) + " since ",
                         false);
      parts.emplace_back(FormatDate(MicrosOf(in.state.gone_since())), true);
    }
  } else if (gone) {
    parts.emplace_back(GoneWord(in.state.gone_kind(), platform) + " \xE2\x80\x94 last seen ",
                       false);
    parts.emplace_back(
        FormatDate(MicrosOf(in.state.has_latest_good_at() ? in.state.latest_good_at()
                                                          : in.capture.captured_at())),
        true);
    parts.emplace_back(", archived ", false);
    parts.emplace_back(FormatDate(MicrosOf(in.state.first_seen())), true);
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
                                              const std::string& platform,
                                              std::string_view base_path) {
  std::vector<std::vector<FootItem>> rows;
  std::vector<FootItem> first;
  if (post.has_created_at()) {
    const std::string when = HumanTime(MicrosOf(post.created_at()));
    std::string html =
        "<time datetime=\"" + FormatRfc3339(MicrosOf(post.created_at())) + "\">" + when + "</time>";
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
  {
    // The capture's signed manifest, checked in the reader's browser (server's /verify/).
    Writer lw({}, 256);
    lw.OpenLink(
        std::string(base_path) + "/verify/" + post.key() + "?capture=" + FormatRfc3339(shown_at),
        "sp-verify");
    last.push_back({lw.str() + "Verify</a>", "Verify"});
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
  w.UseOriginalMedia(o.original_media_urls);
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
    const std::string_view text = ValidUtf8View(post.text(), storage);
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

  const UnixMicros shown_at = MicrosOf(in.capture.captured_at());
  w.Raw("\n<footer class=\"sp-foot\">");
  for (const auto& row : FooterRows(post, shown_at, platform, o.base_path)) {
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
  h += FooterHeight(FooterRows(post, MicrosOf(in.capture.captured_at()), platform, o.base_path),
                    width);
  return static_cast<int>(std::ceil(h + 2 * box::kPadY + 2 * box::kBorder));
}

}  // namespace stillpost::embed
