// gumbo, hardened for HTML from anyone (Mastodon servers, article pages, oEmbed answers).
// - Parse errors are not recorded: gumbo copies the stack of open elements into each error, which
//   is quadratic in memory (20,000 nested <span>, 120 KB of input, took 3 GB and 2.5 s; without
//   error records, 100,000 took 27 MB and 0.06 s).
// - gumbo's scope checks walk the open elements for each start tag, so its time is quadratic in
//   depth (100,000 nested <div>: 10.5 s; "<p>" + "<rt>"x160,000, which nest outside <ruby>: 46 s),
//   and it rebuilds every formatting element a block closed for each later block ("<p>", 500
//   distinct <b>, then "<p>y" 20,000 times: 87 KB took 8.5 s and 3.7 GB). Input is cut where a
//   cheap model of the tree (SourceCut) says the nesting passes kMaxSourceDepth or the work
//   passes a budget linear in the input; nothing real comes near either.
// - Walkers recurse, so they stop descending at kMaxHtmlDepth.
// Private to fetcher/.
#pragma once

#include <gumbo.h>

#include <boost/algorithm/string/predicate.hpp>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stillpost::fetcher::detail {

inline constexpr int kMaxHtmlDepth = 256;
inline constexpr int kMaxSourceDepth = 512;
// Work units (start tags, each weighted by the formatting elements open over it) per input
// byte, plus a floor: far above any real page, far below what makes gumbo quadratic.
inline constexpr uint64_t kWorkPerByte = 4;
inline constexpr uint64_t kWorkFloor = 1 << 18;

// Where the source should be cut before gumbo sees it: where its nesting, estimated from the
// tags by a small model of the tree builder (elements whose end tag may be left out close their
// siblings; <rt> and friends only inside <ruby>; void elements, comments and raw-text content do
// not nest), first passes `max_depth`, or where the estimated work passes the budget. The
// source's size when neither happens. Linear in the input.
inline size_t NestingCut(std::string_view html, int max_depth = kMaxSourceDepth) {
  // A tag's name, lower case, in a small buffer (no allocation per tag on the ingest path);
  // longer names are not HTML's and count as ordinary elements.
  char buf[16];
  auto name_at = [&](size_t i) {
    size_t n = 0;
    for (; i < html.size() && std::isalnum(static_cast<unsigned char>(html[i])) != 0; ++i) {
      if (n < sizeof buf)
        buf[n] = static_cast<char>(std::tolower(static_cast<unsigned char>(html[i])));
      ++n;
    }
    return n <= sizeof buf ? std::string_view(buf, n) : std::string_view("x-long");
  };
  // The next "</name" at or after `from`, in any letter case.
  auto end_tag = [&](size_t from, std::string_view name) {
    for (size_t k = html.find("</", from); k != std::string_view::npos;
         k = html.find("</", k + 2)) {
      if (boost::algorithm::istarts_with(html.substr(k + 2), name)) return k;
    }
    return std::string_view::npos;
  };
  auto in = [](std::string_view name, std::initializer_list<std::string_view> set) {
    for (auto n : set) {
      if (n == name) return true;
    }
    return false;
  };
  // Families of elements whose start tag closes an open one of the families it names.
  enum Family : uint8_t {
    kOther,
    kP,
    kLi,
    kDdDt,
    kOption,
    kOptgroup,
    kRuby,
    kCell,
    kRow,
    kSection
  };
  auto family_of = [&](std::string_view n) -> Family {
    if (n == "p") return kP;
    if (n == "li") return kLi;
    if (n == "dd" || n == "dt") return kDdDt;
    if (n == "option") return kOption;
    if (n == "optgroup") return kOptgroup;
    if (in(n, {"rb", "rt", "rp", "rtc"})) return kRuby;
    if (n == "td" || n == "th") return kCell;
    if (n == "tr") return kRow;
    if (in(n, {"thead", "tbody", "tfoot", "caption", "colgroup"})) return kSection;
    return kOther;
  };
  auto closes = [](Family start, Family open) {
    switch (start) {
      case kP:
        return open == kP;
      case kLi:
        return open == kLi || open == kP;
      case kDdDt:
        return open == kDdDt || open == kP;
      case kOption:
        return open == kOption;
      case kOptgroup:
        return open == kOption || open == kOptgroup;
      case kRuby:
        return open == kRuby;
      case kCell:
        return open == kCell;
      case kRow:
        return open == kCell || open == kRow;
      case kSection:
        return open == kCell || open == kRow || open == kSection;
      default:
        return false;
    }
  };
  struct Open {
    std::string name;
    Family family;
    bool formatting;
  };
  std::vector<Open> stack;
  int formatting_open = 0;
  int ruby_open = 0;
  uint64_t work = 0;
  const uint64_t budget = kWorkFloor + kWorkPerByte * html.size();
  auto pop = [&] {
    if (stack.back().formatting) --formatting_open;
    if (stack.back().name == "ruby") --ruby_open;
    stack.pop_back();
  };
  constexpr size_t kEndTagSearch = 64;  // how far down an end tag looks for its element
  for (size_t i = html.find('<'); i != std::string_view::npos; i = html.find('<', i + 1)) {
    if (i + 1 >= html.size()) break;
    const char c = html[i + 1];
    if (c == '!' || c == '?') {  // comment, doctype, CDATA, processing instruction
      const size_t end = html.find(c == '!' && html.substr(i, 4) == "<!--" ? "-->" : ">", i + 2);
      if (end == std::string_view::npos) break;
      i = end;
      continue;
    }
    const bool closing = c == '/';
    if (closing
            ? (i + 2 >= html.size() || std::isalpha(static_cast<unsigned char>(html[i + 2])) == 0)
            : std::isalpha(static_cast<unsigned char>(c)) == 0) {
      continue;
    }
    const std::string_view name = name_at(i + (closing ? 2 : 1));
    const size_t gt = html.find('>', i);
    if (gt == std::string_view::npos) break;
    const bool self_closing = gt > 0 && html[gt - 1] == '/';
    if (closing) {
      const size_t floor = stack.size() > kEndTagSearch ? stack.size() - kEndTagSearch : 0;
      for (size_t k = stack.size(); k > floor; --k) {
        if (stack[k - 1].name == name) {
          while (stack.size() >= k) pop();
          break;
        }
      }
      i = gt;
      continue;
    }
    if (in(name, {"script", "style", "textarea", "title", "xmp", "noscript", "iframe", "noembed",
                  "plaintext"})) {
      // Raw text: skip to its end tag (a '<' inside is not a tag).
      const size_t end = end_tag(gt, name);
      if (end == std::string_view::npos) break;
      i = end;
      continue;
    }
    work += 1 + static_cast<uint64_t>(formatting_open);
    if (work > budget) return i;
    if (in(name, {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "param", "source", "track", "wbr", "frame", "keygen", "html", "head", "body"}) ||
        self_closing) {
      i = gt;
      continue;
    }
    Family family = family_of(name);
    if (family == kRuby && ruby_open == 0) family = kOther;  // outside <ruby> they nest
    while (!stack.empty() && closes(family, stack.back().family)) pop();
    const bool formatting = in(name, {"a", "b", "big", "code", "em", "font", "i", "nobr", "s",
                                      "small", "strike", "strong", "tt", "u"});
    stack.push_back({std::string(name), family, formatting});
    if (formatting) ++formatting_open;
    if (name == "ruby") ++ruby_open;
    if (static_cast<int>(stack.size()) > max_depth) return i;
    i = gt;
  }
  return html.size();
}

// A parsed document (or fragment, with `fragment_context` such as GUMBO_TAG_DIV), freed with it.
class Html {
 public:
  explicit Html(std::string_view html, GumboTag fragment_context = GUMBO_TAG_LAST)
      : options_(kGumboDefaultOptions) {
    options_.max_errors = 0;
    if (fragment_context != GUMBO_TAG_LAST) {
      options_.fragment_context = fragment_context;
      options_.fragment_namespace = GUMBO_NAMESPACE_HTML;
    }
    const size_t cut = NestingCut(html);
    truncated_ = cut < html.size();
    out_ = gumbo_parse_with_options(&options_, html.data(), cut);
  }
  ~Html() { gumbo_destroy_output(&options_, out_); }
  Html(const Html&) = delete;
  Html& operator=(const Html&) = delete;

  const GumboNode* root() const { return out_->root; }
  // Whether the source was cut at kMaxSourceDepth.
  bool truncated() const { return truncated_; }

 private:
  GumboOptions options_;
  GumboOutput* out_ = nullptr;
  bool truncated_ = false;
};

// The value of an element's attribute, or null.
inline const char* Attr(const GumboNode* n, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&n->v.element.attributes, name);
  return a != nullptr ? a->value : nullptr;
}

// Whether an element's class attribute lists `cls`.
// Whether an element's space-separated attribute (class, rel, role, itemprop) lists `token`;
// `any_case` for the attributes HTML compares without case.
inline bool HasToken(const GumboNode* n, const char* attr, std::string_view token,
                     bool any_case = false) {
  const char* c = Attr(n, attr);
  if (c == nullptr) return false;
  std::string_view all(c);
  size_t pos = 0;
  while (pos < all.size()) {
    size_t end = all.find_first_of(" \t\n\r\f", pos);
    if (end == std::string_view::npos) end = all.size();
    const std::string_view t = all.substr(pos, end - pos);
    if (any_case ? boost::algorithm::iequals(t, token) : t == token) return true;
    pos = end + 1;
  }
  return false;
}

inline bool HasClass(const GumboNode* n, std::string_view cls) { return HasToken(n, "class", cls); }

// Every text under `node`, in document order, without recursion (for content past the depth
// limit, whose markup is dropped).
inline void AppendAllText(const GumboNode* node, std::string& out) {
  std::vector<const GumboNode*> stack{node};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
        n->type == GUMBO_NODE_CDATA) {
      out += n->v.text.text;
      continue;
    }
    if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE) continue;
    const GumboVector& kids = n->v.element.children;
    for (unsigned i = kids.length; i > 0; --i) {
      stack.push_back(static_cast<const GumboNode*>(kids.data[i - 1]));
    }
  }
}

}  // namespace stillpost::fetcher::detail
