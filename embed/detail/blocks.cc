#include "embed/detail/blocks.h"

#include <cmath>

#include "proto/time.h"

namespace stillpost::embed::detail {

using proto::MicrosOf;

namespace {

std::vector<Entity> CwEntities(const Post& post) {
  std::vector<Entity> out;
  std::string storage;
  const std::string_view cw = ValidUtf8View(post.content_warning(), storage);
  std::map<std::string, const Entity*> emoji;
  {
    std::string text_storage;
    const std::string_view text = ValidUtf8View(post.text(), text_storage);
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
      const std::string_view n = ValidUtf8View(name, name_storage);
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
    w.Raw(" \xC2\xB7 Open at capture, closing " + FormatDate(MicrosOf(poll.expires_at())));
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

}  // namespace

// Avatar, name (truncated before the badge is) and handle, each a link to the profile; the
// platform's mark for the embed's own post. `href`, when given, is where the name links
// instead (a quoted post: its own archived embed).
void RenderAuthor(Writer& w, const Post& post, bool logo, const std::string& href) {
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
    w.Raw("<img class=\"sp-avatar\" src=\"" + w.Media(a.avatar_blob(), a.avatar_url()) +
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

namespace {

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
      w.Raw("<img src=\"" + w.Media(m.blob(), m.original_url()) + "\" alt=\"");
      w.Text(m.alt_text().empty() ? "Image" : m.alt_text());
      w.Raw("\"" + dims + " loading=\"lazy\">");
    } else if (m.kind() == Media::KIND_AUDIO) {
      w.Raw("<audio controls preload=\"none\" src=\"" + w.Media(m.blob(), m.original_url()) +
            "\" aria-label=\"");
      w.Text(m.alt_text().empty() ? "Audio by @" + post.author().handle() : m.alt_text());
      w.Raw("\"></audio>");
    } else {
      const bool gif = m.kind() == Media::KIND_GIF;
      w.Raw(gif ? "<video autoplay muted loop playsinline"
                : "<video controls preload=\"none\" playsinline");
      if (!m.poster_blob().empty())
        w.Raw(" poster=\"" + w.Media(m.poster_blob(), m.poster_url()) + "\"");
      w.Raw(dims);
      w.Raw(" aria-label=\"");
      w.Text(!m.alt_text().empty()
                 ? m.alt_text()
                 : std::string(gif ? "GIF" : "Video") + " by @" + post.author().handle());
      w.Raw("\"><source src=\"" + w.Media(m.blob(), m.original_url()) + "\" type=\"");
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
    w.Raw("<img src=\"" + w.Media(c.image_blob(), c.image_url()) + "\" alt=\"");
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

}  // namespace

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

namespace {

bool Sensitive(const Post& post) {
  return post.content_warning().empty() && post.media_size() > 0 &&
         (post.sensitive() || HasSensitiveLabel(post));
}

}  // namespace

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

namespace {

std::string QuoteNote(const Post& quoted) {
  return quoted.has_quoted() || !quoted.quoted_key().empty() ? "Quotes another post" : "";
}

}  // namespace

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

}  // namespace stillpost::embed::detail
