#include "fetcher/html_text.h"

#include <gumbo.h>
#include <utf8.h>

#include <algorithm>
#include <boost/algorithm/string/split.hpp>

#include "common/web.h"
#include "fetcher/detail/html.h"

namespace stillpost::fetcher {
namespace {

// Classes worth keeping: they carry meaning HtmlToRichText reads (and nothing else).
constexpr std::string_view kKeptClasses[] = {"mention", "hashtag",   "u-url",
                                             "h-card",  "invisible", "ellipsis"};

using detail::Attr;
using detail::HasClass;

void Escape(std::string& out, std::string_view s) { AppendHtmlEscaped(out, s); }

// The classes of an element that are worth keeping.
std::vector<std::string> Classes(const GumboNode* n) {
  std::vector<std::string> out;
  const char* cls = Attr(n, "class");
  if (cls == nullptr) return out;
  std::vector<std::string> parts;
  boost::algorithm::split(parts, std::string(cls), [](char c) { return c == ' ' || c == '\t'; });
  for (auto& p : parts) {
    if (std::find(std::begin(kKeptClasses), std::end(kKeptClasses), p) != std::end(kKeptClasses))
      out.push_back(p);
  }
  return out;
}

// Elements whose content is no text for a reader: dropped whole.
bool DropWhole(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_AUDIO:
    case GUMBO_TAG_VIDEO:
    case GUMBO_TAG_CANVAS:
      return true;
    default:
      return false;
  }
}

// Block elements outside the allowlist: their text is kept and followed by a line break, so
// list items and headings do not run together.
bool LineAfter(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_LI:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_DD:
      return true;
    default:
      return false;
  }
}

template <typename F>
void ForChildren(const GumboNode* n, F&& f) {
  const GumboVector& kids = n->v.element.children;
  for (unsigned i = 0; i < kids.length; ++i) f(static_cast<const GumboNode*>(kids.data[i]));
}

void AppendClassAttr(std::string& out, const GumboNode* n) {
  const auto classes = Classes(n);
  if (classes.empty()) return;
  out += " class=\"";
  for (size_t i = 0; i < classes.size(); ++i) {
    if (i > 0) out += ' ';
    out += classes[i];
  }
  out += '"';
}

struct Sanitizer {
  std::string out;
  int p_depth = 0;  // inside an emitted <p>: a nested one is flattened
  int a_depth = 0;  // inside an emitted <a>: a nested link keeps only its text

  void Visit(const GumboNode* n, int depth = 0) {
    if (depth > detail::kMaxHtmlDepth) {
      // Past any real nesting: the text stays, the markup goes (and the recursion stops).
      std::string text;
      detail::AppendAllText(n, text);
      Escape(out, text);
      return;
    }
    switch (n->type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_WHITESPACE:
      case GUMBO_NODE_CDATA:
        Escape(out, n->v.text.text);
        return;
      case GUMBO_NODE_ELEMENT:
      case GUMBO_NODE_TEMPLATE:
        break;
      default:
        return;  // comments, the document
    }
    const GumboTag tag = n->v.element.tag;
    if (n->type == GUMBO_NODE_TEMPLATE || DropWhole(tag)) return;
    auto children = [&] { ForChildren(n, [&](const GumboNode* c) { Visit(c, depth + 1); }); };
    switch (tag) {
      case GUMBO_TAG_BR:
        out += "<br>";
        return;
      case GUMBO_TAG_P:
        if (p_depth > 0 || a_depth > 0) {
          children();
          return;
        }
        ++p_depth;
        out += "<p>";
        children();
        out += "</p>";
        --p_depth;
        return;
      case GUMBO_TAG_A: {
        const char* href = Attr(n, "href");
        if (a_depth > 0 || href == nullptr || !IsHttpUrl(href)) {
          children();
          return;
        }
        ++a_depth;
        out += "<a href=\"";
        Escape(out, href);
        out += "\" rel=\"nofollow noopener noreferrer\"";
        AppendClassAttr(out, n);
        out += '>';
        children();
        out += "</a>";
        --a_depth;
        return;
      }
      case GUMBO_TAG_SPAN:
        out += "<span";
        AppendClassAttr(out, n);
        out += '>';
        children();
        out += "</span>";
        return;
      default:
        children();
        if (LineAfter(tag) && a_depth == 0) out += "<br>";
        return;
    }
  }
};

template <typename F>
void WithFragment(std::string_view html, F&& f) {
  const detail::Html parsed(html, GUMBO_TAG_DIV);
  f(parsed.root());
}

size_t CodePoints(std::string_view s) {
  return static_cast<size_t>(utf8::unchecked::distance(s.begin(), s.end()));
}

struct TextBuilder {
  RichText rich;
  size_t cps = 0;  // code points in rich.text
  bool any_paragraph = false;

  void Append(std::string_view s) {
    rich.text += s;
    cps += CodePoints(s);
  }

  // The visible text of a link: everything but span.invisible, and "…" after span.ellipsis.
  static void Shown(const GumboNode* n, std::string& out) {
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE) {
      out += n->v.text.text;
      return;
    }
    if (n->type != GUMBO_NODE_ELEMENT) return;
    if (HasClass(n, "invisible")) return;
    ForChildren(n, [&](const GumboNode* c) { Shown(c, out); });
    if (HasClass(n, "ellipsis")) out += "\u2026";
  }

  void Visit(const GumboNode* n, int depth = 0) {
    if (depth > 2 * detail::kMaxHtmlDepth) return;  // sanitised HTML is never this deep
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
        n->type == GUMBO_NODE_CDATA) {
      Append(n->v.text.text);
      return;
    }
    if (n->type != GUMBO_NODE_ELEMENT) return;
    const GumboTag tag = n->v.element.tag;
    if (tag == GUMBO_TAG_BR) {
      Append("\n");
      return;
    }
    if (tag == GUMBO_TAG_P) {
      if (any_paragraph) Append("\n\n");
      any_paragraph = true;
    }
    if (tag != GUMBO_TAG_A) {
      ForChildren(n, [&](const GumboNode* c) { Visit(c, depth + 1); });
      return;
    }
    const size_t start = cps;
    const size_t byte_start = rich.text.size();
    ForChildren(n, [&](const GumboNode* c) { Visit(c, depth + 1); });
    if (cps == start) return;
    proto::Entity e;
    e.set_start(static_cast<uint32_t>(start));
    e.set_end(static_cast<uint32_t>(cps));
    const char* href = Attr(n, "href");
    e.set_target(href != nullptr ? href : "");
    const std::string slice = rich.text.substr(byte_start);
    if (HasClass(n, "hashtag")) {
      e.set_kind(proto::Entity::KIND_HASHTAG);
      e.set_target_id(slice.rfind('#', 0) == 0 ? slice.substr(1) : slice);
    } else if (HasClass(n, "mention")) {
      e.set_kind(proto::Entity::KIND_MENTION);
    } else {
      e.set_kind(proto::Entity::KIND_LINK);
      std::string shown;
      Shown(n, shown);
      if (shown != slice) e.set_display(shown);
    }
    rich.entities.push_back(std::move(e));
  }
};

}  // namespace

std::string SanitizeHtml(std::string_view html_in) {
  std::string valid;
  std::string_view html = html_in;
  if (!utf8::is_valid(html.begin(), html.end())) {
    utf8::replace_invalid(html.begin(), html.end(), std::back_inserter(valid));
    html = valid;
  }
  Sanitizer s;
  const detail::Html parsed(html, GUMBO_TAG_DIV);
  s.Visit(parsed.root());
  if (parsed.truncated()) {
    // Nested past any real post: the rest keeps its text, without its markup (tags removed,
    // then parsed as text so character references are decoded; linear either way).
    const std::string_view rest = html.substr(detail::NestingCut(html));
    std::string plain;
    bool in_tag = false;
    for (char c : rest) {
      if (c == '<') in_tag = true;
      if (!in_tag) plain += c;
      if (c == '>') in_tag = false;
    }
    const detail::Html text(plain, GUMBO_TAG_DIV);
    std::string out;
    detail::AppendAllText(text.root(), out);
    Escape(s.out, out);
  }
  return std::move(s.out);
}

RichText HtmlToRichText(std::string_view sanitized_html) {
  TextBuilder b;
  WithFragment(sanitized_html, [&](const GumboNode* root) { b.Visit(root); });
  // Trailing line breaks (a <br> at the end) show nothing.
  while (!b.rich.text.empty() && b.rich.text.back() == '\n') {
    const size_t cut = b.cps - 1;
    bool inside = false;
    for (const auto& e : b.rich.entities) inside = inside || e.end() > cut;
    if (inside) break;
    b.rich.text.pop_back();
    --b.cps;
  }
  return std::move(b.rich);
}

void AddCustomEmoji(const std::string& text,
                    const std::vector<std::pair<std::string, std::string>>& emoji,
                    std::vector<proto::Entity>& entities) {
  if (emoji.empty()) return;
  std::vector<proto::Entity> found;
  // Walk the text once, by code point, looking for ":shortcode:" starts.
  size_t cp = 0;
  for (auto it = text.begin(); it != text.end(); ++cp) {
    const size_t byte = static_cast<size_t>(it - text.begin());
    utf8::unchecked::next(it);
    if (text[byte] != ':') continue;
    for (const auto& [code, url] : emoji) {
      if (code.empty() || text.compare(byte + 1, code.size(), code) != 0 ||
          byte + 1 + code.size() >= text.size() || text[byte + 1 + code.size()] != ':') {
        continue;
      }
      const auto start = static_cast<uint32_t>(cp);
      const auto end = static_cast<uint32_t>(cp + CodePoints(code) + 2);
      const bool overlaps = std::any_of(entities.begin(), entities.end(), [&](const auto& e) {
        return e.start() < end && start < e.end();
      });
      if (overlaps) break;
      proto::Entity e;
      e.set_kind(proto::Entity::KIND_CUSTOM_EMOJI);
      e.set_start(start);
      e.set_end(end);
      e.set_target(url);
      e.set_target_id(code);
      found.push_back(std::move(e));
      // Skip past the shortcode (its code points were counted in `end`).
      for (size_t k = 0; k < code.size() + 1; ++k) {
        if (it == text.end()) break;
        utf8::unchecked::next(it);
        ++cp;
      }
      break;
    }
  }
  entities.insert(entities.end(), found.begin(), found.end());
  std::stable_sort(entities.begin(), entities.end(),
                   [](const auto& a, const auto& b) { return a.start() < b.start(); });
}

}  // namespace stillpost::fetcher
