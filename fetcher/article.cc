#include "fetcher/article.h"

#include <gumbo.h>

#include <algorithm>
#include <bit>
#include <boost/algorithm/string/case_conv.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <cstring>
#include <set>
#include <unordered_map>

#include "common/numbers.h"
#include "common/post_ref.h"
#include "fetcher/detail/html.h"
#include "fetcher/detail/links.h"

namespace stillpost::fetcher {
namespace {

using detail::HostOf;

using detail::Attr;
using detail::HasClass;

std::string_view TagName(const GumboNode* n) {
  if (n->v.element.tag != GUMBO_TAG_UNKNOWN) return gumbo_normalized_tagname(n->v.element.tag);
  GumboStringPiece piece = n->v.element.original_tag;
  gumbo_tag_from_original_text(&piece);
  return std::string_view(piece.data, piece.length);
}

std::string Lower(std::string_view s) { return boost::algorithm::to_lower_copy(std::string(s)); }

bool HasToken(const GumboNode* n, const char* attr, std::string_view token) {
  return detail::HasToken(n, attr, token, /*any_case=*/true);
}

// The network a share link shares to (a bit each), 0 for a link that is not one. A tweet's own
// action links (reply, retweet, like: X intents) are share links of one network; a share widget
// offers several.
uint32_t ShareNetwork(std::string_view href) {
  const std::string h = Lower(href);
  if (h.rfind("mailto:", 0) == 0 || h.rfind("sms:", 0) == 0) return 1u << 0;
  if (h.rfind("whatsapp:", 0) == 0) return 1u << 1;
  auto u = boost::urls::parse_uri(h);
  if (!u) return 0;
  const std::string host(u->host());
  const std::string path(u->path());
  auto host_is = [&](std::string_view d) { return HostIsOrUnder(host, d); };
  auto path_has = [&](std::string_view part) { return path.find(part) != std::string::npos; };
  if (IsXHost(host)) {
    return path.rfind("/intent", 0) == 0 || path.rfind("/share", 0) == 0 ? 1u << 2 : 0;
  }
  if (host_is("facebook.com")) return path_has("sharer") || path_has("/dialog/") ? 1u << 3 : 0;
  if (host_is("linkedin.com")) return path_has("share") ? 1u << 4 : 0;
  if (host_is("reddit.com")) return path_has("/submit") ? 1u << 5 : 0;
  if (host_is("pinterest.com")) return path_has("/pin/create") ? 1u << 6 : 0;
  if (host_is("whatsapp.com") || host == "wa.me") return 1u << 1;
  if (host == "t.me" || host_is("telegram.me")) return path_has("/share") ? 1u << 7 : 0;
  if (IsBlueskyHost(host)) return path.rfind("/intent", 0) == 0 ? 1u << 8 : 0;
  if (host_is("threads.net") || host_is("threads.com")) return path_has("/intent") ? 1u << 9 : 0;
  if (host_is("tumblr.com")) return path_has("share") ? 1u << 10 : 0;
  if (host_is("ycombinator.com")) return path_has("submitlink") ? 1u << 11 : 0;
  if (host_is("flipboard.com") || host_is("getpocket.com")) return 1u << 12;
  // Mastodon share pages on any server, and the share-to-fediverse services.
  if (path == "/share" || path_has("/share/") || host_is("kytta.dev")) return 1u << 13;
  return 0;
}

// What the scanner knows of one element, from a single pass over the document.
struct NodeStats {
  size_t text = 0;       // characters of text (not whitespace), script and style excluded
  size_t link_text = 0;  // of which inside links
  int links = 0;
  int share_links = 0;
  uint32_t share_networks = 0;  // ShareNetwork bits of those links
  int h1 = 0;
  bool boilerplate = false;  // inside <aside>, <nav>, <footer> or a complementary region
};

bool IsBoilerplateElement(const GumboNode* n) {
  const GumboTag tag = n->v.element.tag;
  if (tag == GUMBO_TAG_ASIDE || tag == GUMBO_TAG_NAV || tag == GUMBO_TAG_FOOTER) return true;
  return HasToken(n, "role", "complementary") || HasToken(n, "role", "navigation") ||
         HasToken(n, "role", "contentinfo");
}

bool IsContentCandidate(const GumboNode* n) {
  const GumboTag tag = n->v.element.tag;
  return tag == GUMBO_TAG_ARTICLE || tag == GUMBO_TAG_MAIN || HasToken(n, "role", "main") ||
         HasToken(n, "itemprop", "articlebody");
}

// Servers so widely known as Mastodon that a link to one needs no embed to vouch for it.
bool IsKnownMastodonHost(std::string_view host) {
  static constexpr std::string_view kKnown[] = {
      "mastodon.social", "mastodon.online",  "mstdn.social",   "mas.to",           "hachyderm.io",
      "fosstodon.org",   "infosec.exchange", "mastodon.world", "social.coop",      "techhub.social",
      "mastodon.art",    "journa.host",      "newsie.social",  "mstdn.jp",         "pawoo.net",
      "chaos.social",    "mastodon.green",   "toot.community", "universeodon.com", "mastodon.cloud",
      "aus.social",      "mastodon.scot",    "mastodon.ie",    "indieweb.social"};
  for (auto k : kKnown) {
    if (host == k) return true;
  }
  return false;
}

// Text content in characters that are not white space, counted once per text node.
size_t SolidChars(std::string_view text) {
  size_t n = 0;
  for (char c : text) {
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r' && c != '\f') ++n;
  }
  return n;
}

// The posts of a page, and where its main content is.
class Scanner {
 public:
  Scanner(const ScanOptions& options) : options_(options) {}

  ScannedArticle Scan(const GumboNode* root, std::string_view fetched_url) {
    Measure(root, 0, false, false);
    const GumboNode* scope = options_.whole_page ? nullptr : MainContent();
    if (scope != nullptr) {
      out_.scope = "main-content";
      out_.scope_path = PathOf(scope);
      skip_boilerplate_ = true;
      Visit(scope, 0, false);
    } else {
      // No main content to be found: the page, less its navigation, header, sidebars and footer
      // (--whole-page keeps those too).
      out_.scope = "whole-page";
      skip_boilerplate_ = !options_.whole_page;
      skip_headers_ = !options_.whole_page;
      Visit(root, 0, false);
    }
    for (auto& p : out_.posts) {
      if (p.found_as != "link" || p.key.rfind("mastodon/", 0) != 0) continue;
      const std::string host = p.key.substr(9, p.key.find('/', 9) - 9);
      p.ref.unverified = !IsKnownMastodonHost(host) && mastodon_hosts_.count(host) == 0;
    }
    out_.canonical_url = CanonicalFor(canonical_, fetched_url);
    return std::move(out_);
  }

 private:
  static constexpr int kMinParagraphChars = 25;
  static constexpr size_t kMinMainContentChars = 250;
  static constexpr int kMinFeedArticles = 3;

  const ScanOptions& options_;
  ScannedArticle out_;
  PostRef last_ref_;  // the reference Add() saw last (which post an embed element named)
  std::string canonical_;
  bool skip_boilerplate_ = false;  // <aside>, <nav>, <footer>, complementary regions
  bool skip_headers_ = false;      // and <header> (outside a main content)
  std::unordered_map<const GumboNode*, NodeStats> stats_;
  std::vector<const GumboNode*> candidates_;
  std::unordered_map<const GumboNode*, size_t> paragraph_score_;
  std::set<std::string> mastodon_hosts_;  // hosts of Mastodon embeds anywhere on the page

  // One pass over the document: text and link statistics per element, the content
  // candidates, paragraph scores for pages without candidates, title, canonical URL and the
  // hosts that Mastodon embeds show to be Mastodon servers.
  NodeStats Measure(const GumboNode* n, int depth, bool in_link, bool boilerplate) {
    NodeStats st;
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA) {
      st.text = SolidChars(n->v.text.text);
      if (in_link) st.link_text = st.text;
      return st;
    }
    if (n->type != GUMBO_NODE_ELEMENT || depth > detail::kMaxHtmlDepth) return st;
    const GumboTag tag = n->v.element.tag;
    switch (tag) {
      case GUMBO_TAG_SCRIPT:
      case GUMBO_TAG_STYLE:
      case GUMBO_TAG_TEMPLATE:
      case GUMBO_TAG_NOSCRIPT:
        return st;
      case GUMBO_TAG_TITLE:
        if (out_.title.empty()) detail::AppendAllText(n, out_.title);
        return st;
      case GUMBO_TAG_LINK:
        if (canonical_.empty() && HasToken(n, "rel", "canonical")) {
          if (const char* href = Attr(n, "href")) canonical_ = href;
        }
        return st;
      default:
        break;
    }
    if (HasClass(n, "mastodon-embed")) {
      const char* url = Attr(n, tag == GUMBO_TAG_IFRAME ? "src" : "data-embed-url");
      if (url != nullptr) mastodon_hosts_.insert(HostOf(url));
    }
    const bool link = tag == GUMBO_TAG_A && Attr(n, "href") != nullptr;
    boilerplate = boilerplate || IsBoilerplateElement(n);
    const GumboVector& kids = n->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i) {
      const NodeStats k = Measure(static_cast<const GumboNode*>(kids.data[i]), depth + 1,
                                  in_link || link, boilerplate);
      st.text += k.text;
      st.link_text += k.link_text;
      st.links += k.links;
      st.share_links += k.share_links;
      st.share_networks |= k.share_networks;
      st.h1 += k.h1;
    }
    if (link) {
      ++st.links;
      if (const uint32_t net = ShareNetwork(Attr(n, "href")); net != 0) {
        ++st.share_links;
        st.share_networks |= net;
      }
    }
    if (tag == GUMBO_TAG_H1) ++st.h1;
    st.boilerplate = boilerplate;
    if (tag == GUMBO_TAG_P && st.text >= kMinParagraphChars && n->parent != nullptr) {
      paragraph_score_[n->parent] += st.text - st.link_text;
      if (n->parent->parent != nullptr)
        paragraph_score_[n->parent->parent] += (st.text - st.link_text) / 2;
    }
    if (!boilerplate && IsContentCandidate(n)) candidates_.push_back(n);
    stats_[n] = st;
    return st;
  }

  size_t Score(const GumboNode* n) const {
    auto it = stats_.find(n);
    return it == stats_.end() ? 0 : it->second.text - it->second.link_text;
  }

  // The article's own content: the candidate with the most text that is not link text; among
  // sibling <article>s, a feed of short items (a live blog) is one content, stories with their
  // own headlines (infinite scroll) are not, and the first is the page's. Without candidates,
  // the element whose paragraphs hold the most text. Null when nothing qualifies.
  const GumboNode* MainContent() const {
    const GumboNode* best = nullptr;
    for (const GumboNode* c : candidates_) {
      if (best == nullptr || Score(c) > Score(best)) best = c;
    }
    if (best != nullptr && best->v.element.tag == GUMBO_TAG_ARTICLE && best->parent != nullptr &&
        best->parent->type == GUMBO_NODE_ELEMENT) {
      std::vector<const GumboNode*> siblings;
      const GumboVector& kids = best->parent->v.element.children;
      for (unsigned i = 0; i < kids.length; ++i) {
        const auto* k = static_cast<const GumboNode*>(kids.data[i]);
        if (k->type == GUMBO_NODE_ELEMENT && k->v.element.tag == GUMBO_TAG_ARTICLE &&
            stats_.count(k) > 0 && !stats_.at(k).boilerplate) {
          siblings.push_back(k);
        }
      }
      const auto has_h1 = [&](const GumboNode* k) { return stats_.at(k).h1 > 0; };
      if (siblings.size() > 1 && std::all_of(siblings.begin(), siblings.end(), has_h1)) {
        // Stories one after another (infinite scroll): the first is the page's.
        for (const GumboNode* k : siblings) {
          if (Score(k) >= kMinMainContentChars) return k;
        }
      } else if (siblings.size() >= static_cast<size_t>(kMinFeedArticles) &&
                 std::none_of(siblings.begin(), siblings.end(), has_h1) &&
                 Score(best->parent) >= kMinMainContentChars) {
        return best->parent;  // a live blog: its entries are one content
      }
    }
    if (best != nullptr && Score(best) >= kMinMainContentChars) return best;
    const GumboNode* top = nullptr;
    size_t top_score = 0;
    for (const auto& [node, score] : paragraph_score_) {
      if (node->type != GUMBO_NODE_ELEMENT || stats_.count(node) == 0 ||
          stats_.at(node).boilerplate) {
        continue;
      }
      if (score > top_score || (score == top_score && top != nullptr && node < top)) {
        top = node;
        top_score = score;
      }
    }
    return top_score >= kMinMainContentChars ? top : nullptr;
  }

  static std::string PathOf(const GumboNode* n) {
    std::vector<std::string> parts;
    for (; n != nullptr && n->type == GUMBO_NODE_ELEMENT && n->v.element.tag != GUMBO_TAG_HTML;
         n = n->parent) {
      std::string part(TagName(n));
      if (const char* id = Attr(n, "id"); id != nullptr && *id != '\0') {
        part += '#';
        part += std::string_view(id).substr(0, 40);
      } else if (const char* cls = Attr(n, "class"); cls != nullptr && *cls != '\0') {
        std::string_view c(cls);
        c.remove_prefix(std::min(c.find_first_not_of(" \t\n"), c.size()));
        part += '.';
        part += c.substr(0, std::min(c.find_first_of(" \t\n"), size_t{40}));
      }
      parts.push_back(std::move(part));
    }
    std::string out;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
      if (!out.empty()) out += " > ";
      out += *it;
    }
    return out;
  }

  // Canonical only when it is on the site the page came from (or the page is a local file).
  static std::string CanonicalFor(const std::string& canonical, std::string_view fetched) {
    if (canonical.empty() || !IsHttpUrl(canonical)) return std::string(fetched);
    if (fetched.rfind("file://", 0) == 0 || !IsHttpUrl(fetched)) return canonical;
    auto site = [](std::string_view url) {
      std::string h = HostOf(url);
      if (h.rfind("www.", 0) == 0) h.erase(0, 4);
      return h;
    };
    return site(canonical) == site(fetched) ? canonical : std::string(fetched);
  }

  void Add(PostRef ref, std::string url, const char* how) {
    last_ref_ = ref;
    for (auto& p : out_.posts) {
      if (p.ref.key != ref.key || p.ref.bsky_handle != ref.bsky_handle ||
          p.ref.bsky_rkey != ref.bsky_rkey) {
        continue;
      }
      if (p.found_as == "link" && std::strcmp(how, "link") != 0) p.found_as = how;  // embeds win
      return;
    }
    std::string key = ref.key;
    out_.posts.push_back({std::move(key), std::move(url), how, std::move(ref)});
  }

  // The embed element `n` named post `post` (the last one added or found again).
  void NoteEmbed(const GumboNode* n, size_t post) {
    const GumboElement& e = n->v.element;
    if (e.original_end_tag.length == 0 && e.tag != GUMBO_TAG_IFRAME) return;  // no end in source
    EmbedSite site;
    site.begin = e.start_pos.offset;
    site.end = e.end_pos.offset + e.original_end_tag.length;
    site.post = post;
    auto attr = [n](const char* name) -> std::string {
      const char* v = Attr(n, name);
      return v == nullptr ? "" : Lower(v);
    };
    for (const char* name : {"data-theme", "data-bluesky-embed-color-mode"}) {
      if (const std::string t = attr(name); t == "dark" || t == "light") site.theme = t;
    }
    // X's widget iframes carry the theme in their URL (Tweet.html?...&theme=dark).
    if (const char* src = Attr(n, "src"); src != nullptr && site.theme.empty()) {
      if (auto u = boost::urls::parse_uri_reference(src)) {
        if (auto it = u->params().find("theme"); it != u->params().end() && (*it).has_value) {
          const std::string t = Lower((*it).value);
          if (t == "dark" || t == "light") site.theme = t;
        }
      }
    }
    for (const char* name : {"data-align", "align"}) {
      if (const std::string a = attr(name); a == "left" || a == "center" || a == "right") {
        site.align = a;
      }
    }
    site.hide_thread = attr("data-conversation") == "none";
    site.hide_media = attr("data-cards") == "hidden";
    for (const char* name : {"data-width", "width"}) {
      const std::string w = attr(name);
      if (auto px = ParseDigits(w); px && w.size() < 5) site.width = static_cast<int>(*px);
    }
    out_.embeds.push_back(std::move(site));
  }

  size_t PostIndex(const PostRef& ref) const {
    for (size_t i = 0; i < out_.posts.size(); ++i) {
      const PostRef& p = out_.posts[i].ref;
      if (p.key == ref.key && p.bsky_handle == ref.bsky_handle && p.bsky_rkey == ref.bsky_rkey) {
        return i;
      }
    }
    return out_.posts.size();
  }

  // A reference in an embed's attribute or text, on any network; true when it named a post.
  bool AddRef(std::string_view value, const char* how) {
    std::string v(value);
    const size_t a = v.find_first_not_of(" \t\r\n");
    if (a == std::string::npos) return false;
    v = v.substr(a, v.find_last_not_of(" \t\r\n") - a + 1);
    if (v.rfind("//", 0) == 0) v = "https:" + v;
    // Wrappers that carry the post's URL in a query parameter (iframely, twitframe).
    if (auto u = boost::urls::parse_uri(v)) {
      const std::string host = Lower(u->host());
      if (host == "cdn.iframe.ly" || host == "iframe.ly" || host == "twitframe.com") {
        auto it = u->params().find("url");
        if (it != u->params().end() && (*it).has_value) return AddRef((*it).value, how);
        return false;
      }
      if (host == "platform.twitter.com" && std::string_view(u->path()).rfind("/embed", 0) == 0) {
        auto it = u->params().find("id");
        if (it == u->params().end() || !(*it).has_value) return false;
        if (auto id = ParseXPostRef((*it).value)) {
          PostRef ref;
          ref.key = "x/" + *id;
          ref.input = v;
          Add(std::move(ref), v, how);
          return true;
        }
        return false;
      }
    }
    if (v.find("://") == std::string::npos && !IsDigits(v)) return false;
    auto ref = ParsePostRef(v, options_.nitter_hosts);
    if (!ref) return false;
    Add(std::move(*ref), v, how);
    return true;
  }

  static bool IsDigits(std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
  }

  bool AddX(const char* id_or_url, const char* how) {
    if (id_or_url == nullptr) return false;
    auto id = ParseXPostRef(id_or_url, options_.nitter_hosts);
    if (!id) return false;
    PostRef ref;
    ref.key = "x/" + *id;
    ref.input = id_or_url;
    Add(std::move(ref), id_or_url, how);
    return true;
  }

  // The last link inside `n` that names a post (an embed's date link comes after its text).
  void LastPostLink(const GumboNode* n, std::string& url, int depth = 0) const {
    if (n->type != GUMBO_NODE_ELEMENT || depth > detail::kMaxHtmlDepth) return;
    if (n->v.element.tag == GUMBO_TAG_A) {
      if (const char* href = Attr(n, "href");
          href != nullptr && ParsePostRef(href, options_.nitter_hosts)) {
        url = href;
      }
    }
    const GumboVector& kids = n->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i) {
      LastPostLink(static_cast<const GumboNode*>(kids.data[i]), url, depth + 1);
    }
  }

  // An embed element; true when it was one (its subtree is then not scanned further).
  bool Embed(const GumboNode* n) {
    const GumboTag tag = n->v.element.tag;
    // The platforms' blockquotes: the post in an attribute, else the last post link inside
    // (the date link, after the text).
    struct Quote {
      const char* cls;
      const char* attrs[2];
    };
    static constexpr Quote kQuotes[] = {{"twitter-tweet", {"data-url", "data-tweet-id"}},
                                        {"twitter-video", {"data-url", "data-tweet-id"}},
                                        {"bluesky-embed", {"data-bluesky-uri", nullptr}},
                                        {"mastodon-embed", {"data-embed-url", nullptr}}};
    if (tag == GUMBO_TAG_BLOCKQUOTE) {
      for (const Quote& q : kQuotes) {
        if (!HasClass(n, q.cls)) continue;
        for (const char* attr : q.attrs) {
          const char* v = attr != nullptr ? Attr(n, attr) : nullptr;
          if (v != nullptr && AddRef(v, "blockquote")) return true;
        }
        std::string url;
        LastPostLink(n, url);
        if (!url.empty()) AddRef(url, "blockquote");
        return true;
      }
    }
    const std::string_view name = TagName(n);
    if (tag == GUMBO_TAG_IFRAME || name == "amp-iframe") {
      for (const char* attr : {"src", "data-src", "data-lazy-src", "data-url"}) {
        if (const char* v = Attr(n, attr); v != nullptr && IframeRef(n, v)) return true;
      }
      AddX(Attr(n, "data-tweet-id"), "iframe");
      return true;
    }
    if (name == "amp-twitter") {
      AddX(Attr(n, "data-tweetid"), "amp");
      return true;
    }
    if (name == "amp-bluesky" || name == "amp-mastodon") {
      for (const char* attr : {"data-uri", "data-embed-url", "data-url", "data-src", "src"}) {
        if (const char* v = Attr(n, attr); v != nullptr && AddRef(v, "amp")) return true;
      }
      return true;
    }
    return false;
  }

  // An iframe's URL: X's widget (Tweet.html?id=, index.html?...&id=), embed.bsky.app, a
  // Mastodon /embed page, or a wrapper that names the post in its query.
  bool IframeRef(const GumboNode* n, const char* url) {
    std::string_view u(url);
    if (HasClass(n, "mastodon-embed")) {
      if (AddRef(u, "iframe")) {
        mastodon_hosts_.insert(
            HostOf(std::string(u.rfind("//", 0) == 0 ? "https:" : "") + std::string(u)));
        return true;
      }
      return false;
    }
    const bool embed_path = u.size() > 6 && u.substr(u.size() - 6) == "/embed";
    if (embed_path || u.find("embed.bsky.app") != std::string_view::npos ||
        u.find("platform.twitter.com") != std::string_view::npos ||
        u.find("iframe.ly") != std::string_view::npos ||
        u.find("twitframe.com") != std::string_view::npos) {
      if (AddRef(u, "iframe")) {
        // A Mastodon /embed page vouches for its host.
        if (embed_path && !out_.posts.empty() && out_.posts.back().key.rfind("mastodon/", 0) == 0) {
          mastodon_hosts_.insert(HostOf(std::string(u)));
        }
        return true;
      }
    }
    return false;
  }

  // Markup around an embed that names the post itself: placeholders that scripts fill in
  // (data-tweet-id on any element), iframely (data-embedded-url, data-iframely-url), a
  // WordPress embed block holding the bare URL, Substack's blocks (data-attrs JSON with "url").
  void Placeholder(const GumboNode* n) {
    AddX(Attr(n, "data-tweet-id"), "embed");
    if (const char* v = Attr(n, "data-tweetid"); v != nullptr && TagName(n) != "amp-twitter") {
      AddX(v, "embed");
    }
    for (const char* attr : {"data-embedded-url", "data-iframely-url"}) {
      if (const char* v = Attr(n, attr)) AddRef(v, "embed");
    }
    if (n->v.element.tag == GUMBO_TAG_FIGURE && HasClass(n, "wp-block-embed")) {
      // The wrapper's text is the URL when the block was saved without its oEmbed markup.
      std::string text;
      detail::AppendAllText(n, text);
      if (text.size() < 2048) AddRef(text, "embed");
    }
    if (const char* attrs = Attr(n, "data-attrs"); attrs != nullptr && std::strlen(attrs) < 65536) {
      boost::system::error_code ec;
      auto v = boost::json::parse(attrs, ec);
      if (!ec && v.is_object()) {
        if (const auto* url = v.as_object().if_contains("url");
            url != nullptr && url->is_string()) {
          AddRef(std::string_view(url->as_string()), "embed");
        }
      }
    }
  }

  void Visit(const GumboNode* n, int depth, bool in_share_widget) {
    if (n->type != GUMBO_NODE_ELEMENT || depth > detail::kMaxHtmlDepth) return;
    const GumboTag tag = n->v.element.tag;
    if (tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE || tag == GUMBO_TAG_TEMPLATE ||
        tag == GUMBO_TAG_HEAD) {
      return;
    }
    if (skip_boilerplate_ && IsBoilerplateElement(n)) return;
    if (skip_headers_ && tag == GUMBO_TAG_HEADER) return;
    last_ref_ = {};
    if (Embed(n)) {
      if (!last_ref_.key.empty() || !last_ref_.bsky_handle.empty()) {
        const size_t post = PostIndex(last_ref_);
        if (post < out_.posts.size()) NoteEmbed(n, post);
      }
      return;
    }
    Placeholder(n);
    // A share widget, known by what it holds: mostly share links, to more than one network.
    if (!in_share_widget) {
      auto it = stats_.find(n);
      in_share_widget = it != stats_.end() && std::popcount(it->second.share_networks) >= 2 &&
                        it->second.share_links * 2 >= it->second.links;
    }
    if (tag == GUMBO_TAG_A && !in_share_widget) {
      if (const char* href = Attr(n, "href")) {
        // Only absolute links can name a post on another site; bare ids in hrefs are not posts.
        if (std::string_view(href).find("://") != std::string_view::npos) {
          if (auto ref = ParsePostRef(href, options_.nitter_hosts))
            Add(std::move(*ref), href, "link");
        }
      }
    }
    const GumboVector& kids = n->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i) {
      Visit(static_cast<const GumboNode*>(kids.data[i]), depth + 1, in_share_widget);
    }
  }
};

}  // namespace

ScannedArticle ScanArticle(std::string_view html, std::string_view fetched_url,
                           const ScanOptions& options) {
  const detail::Html doc(html);
  Scanner scanner(options);
  ScannedArticle out = scanner.Scan(doc.root(), fetched_url);
  const size_t a = out.title.find_first_not_of(" \t\r\n");
  const size_t b = out.title.find_last_not_of(" \t\r\n");
  out.title = a == std::string::npos ? "" : out.title.substr(a, b - a + 1);
  return out;
}

}  // namespace stillpost::fetcher
