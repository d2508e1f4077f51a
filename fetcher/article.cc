#include "fetcher/article.h"

#include <gumbo.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cstring>
#include <set>

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

// A share widget: class or id that says so.
bool IsShareWidget(const GumboNode* n) {
  for (const char* attr : {"class", "id"}) {
    const char* v = Attr(n, attr);
    if (v == nullptr) continue;
    std::string lower(v);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.find("share") != std::string::npos || lower.find("social") != std::string::npos) {
      return true;
    }
  }
  return false;
}

void Text(const GumboNode* n, std::string& out) { detail::AppendAllText(n, out); }

// The last status link inside a blockquote names its post (the date link, after the text).
void LastStatusLink(const GumboNode* n, const std::vector<std::string>& nitter, std::string& id,
                    std::string& url, int depth = 0) {
  if (n->type != GUMBO_NODE_ELEMENT || depth > detail::kMaxHtmlDepth) return;
  if (n->v.element.tag == GUMBO_TAG_A) {
    if (const char* href = Attr(n, "href")) {
      if (auto r = ParseXPostRef(href, nitter)) {
        id = *r;
        url = href;
      }
    }
  }
  const GumboVector& kids = n->v.element.children;
  for (unsigned i = 0; i < kids.length; ++i) {
    LastStatusLink(static_cast<const GumboNode*>(kids.data[i]), nitter, id, url, depth + 1);
  }
}

struct Scanner {
  const std::vector<std::string>& nitter;
  ScannedArticle out;

  void Add(std::string key, std::string url, const char* how) {
    PostRef ref;
    ref.key = key;
    ref.input = url;
    Add(std::move(ref), std::move(url), how);
  }

  void Add(PostRef ref, std::string url, const char* how) {
    for (auto& p : out.posts) {
      if (p.ref.key != ref.key || p.ref.bsky_handle != ref.bsky_handle ||
          p.ref.bsky_rkey != ref.bsky_rkey) {
        continue;
      }
      if (p.found_as == "link" && std::strcmp(how, "link") != 0) p.found_as = how;  // embeds win
      return;
    }
    std::string key = ref.key;
    out.posts.push_back({std::move(key), std::move(url), how, std::move(ref)});
  }

  // A Bluesky or Mastodon reference in an embed's attribute, if it names a post.
  void AddOther(const char* value, const char* how) {
    if (value == nullptr) return;
    if (auto ref = ParsePostRef(value); ref && ref->key.rfind("x/", 0) != 0) {
      Add(std::move(*ref), value, how);
    }
  }

  void Visit(const GumboNode* n, int depth = 0) {
    // Deeper than any real page nests: not content a reader sees as an embed.
    if (n->type != GUMBO_NODE_ELEMENT || depth > detail::kMaxHtmlDepth) return;
    const GumboTag tag = n->v.element.tag;
    switch (tag) {
      case GUMBO_TAG_SCRIPT:
      case GUMBO_TAG_STYLE:
      case GUMBO_TAG_TEMPLATE:
      case GUMBO_TAG_NAV:
      case GUMBO_TAG_HEADER:
      case GUMBO_TAG_FOOTER:
        return;
      case GUMBO_TAG_TITLE:
        if (out.title.empty()) Text(n, out.title);
        return;
      case GUMBO_TAG_LINK: {
        const char* rel = Attr(n, "rel");
        const char* href = Attr(n, "href");
        if (rel != nullptr && href != nullptr && std::string_view(rel) == "canonical") {
          out.canonical_url = href;
        }
        return;
      }
      default:
        break;
    }
    if (IsShareWidget(n)) return;
    if (tag == GUMBO_TAG_BLOCKQUOTE && HasClass(n, "twitter-tweet")) {
      std::string id, url;
      LastStatusLink(n, nitter, id, url);
      if (!id.empty()) Add("x/" + id, url, "blockquote");
      return;
    }
    if (tag == GUMBO_TAG_BLOCKQUOTE && HasClass(n, "bluesky-embed")) {
      AddOther(Attr(n, "data-bluesky-uri"), "blockquote");
      return;
    }
    if (tag == GUMBO_TAG_BLOCKQUOTE && HasClass(n, "mastodon-embed")) {
      AddOther(Attr(n, "data-embed-url"), "blockquote");
      return;
    }
    if (tag == GUMBO_TAG_IFRAME) {
      const char* src = Attr(n, "src");
      if (src != nullptr &&
          (HasClass(n, "mastodon-embed") ||
           std::string_view(src).find("://embed.bsky.app/") != std::string_view::npos)) {
        AddOther(src, "iframe");
        return;
      }
      if (const char* tid = Attr(n, "data-tweet-id")) {
        if (auto id = ParseXPostRef(tid)) Add("x/" + *id, tid, "iframe");
        return;
      }
      if (src != nullptr) {
        auto u = boost::urls::parse_uri(src);
        if (u && u->host() == "platform.twitter.com" && u->path().find("/embed") == 0) {
          auto it = u->params().find("id");
          if (it != u->params().end()) {
            if (auto id = ParseXPostRef(std::string((*it).value))) Add("x/" + *id, src, "iframe");
          }
        }
      }
      return;
    }
    if (TagName(n) == "amp-twitter") {
      if (const char* tid = Attr(n, "data-tweetid")) {
        if (auto id = ParseXPostRef(tid)) Add("x/" + *id, tid, "amp");
      }
      return;
    }
    if (tag == GUMBO_TAG_A) {
      if (const char* href = Attr(n, "href")) {
        std::string_view h(href);
        // Only absolute links can name a post on another site; bare ids in hrefs are not posts.
        if (h.find("://") != std::string_view::npos) {
          if (auto ref = ParsePostRef(href, nitter)) Add(std::move(*ref), href, "link");
        }
      }
    }
    const GumboVector& kids = n->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i) {
      Visit(static_cast<const GumboNode*>(kids.data[i]), depth + 1);
    }
  }
};

struct Edit {
  size_t begin;
  size_t end;
  std::string text;
};

// Whether a script is one of the platforms' embed scripts that embed.js replaces: X's
// widgets.js, Bluesky's embed.js, or Mastodon's /embed.js (marked by data-allowed-prefixes, or
// from a server whose mastodon-embed elements came before it).
bool IsPlatformScript(const GumboElement& e, std::string_view src,
                      const std::set<std::string>& mastodon_hosts) {
  if (src.find("platform.twitter.com/widgets.js") != std::string_view::npos) return true;
  if (src.find("embed.bsky.app/static/embed.js") != std::string_view::npos) return true;
  const std::string_view tail = "/embed.js";
  if (src.size() < tail.size() || src.substr(src.size() - tail.size()) != tail) return false;
  return gumbo_get_attribute(&e.attributes, "data-allowed-prefixes") != nullptr ||
         mastodon_hosts.count(HostOf(src)) > 0;
}

void Collect(const GumboNode* n, const RewriteSpec& o, std::vector<Edit>& edits,
             std::set<std::string>& mastodon_hosts, int depth = 0) {
  if (n->type != GUMBO_NODE_ELEMENT || depth > detail::kMaxHtmlDepth) return;
  const GumboElement& e = n->v.element;
  if (HasClass(n, "mastodon-embed")) {
    const char* url = Attr(n, e.tag == GUMBO_TAG_IFRAME ? "src" : "data-embed-url");
    if (url != nullptr) mastodon_hosts.insert(HostOf(url));
  }
  if (e.tag == GUMBO_TAG_SCRIPT) {
    const GumboAttribute* src = gumbo_get_attribute(&e.attributes, "src");
    if (src != nullptr) {
      std::string_view v(src->value);
      if (IsPlatformScript(e, v, mastodon_hosts) && src->original_value.length > 0) {
        edits.push_back({src->value_start.offset,
                         src->value_start.offset + src->original_value.length,
                         "\"" + o.base + "/embed.js\""});
      }
    }
    return;
  }
  if (o.iframes && e.tag == GUMBO_TAG_BLOCKQUOTE && HasClass(n, "twitter-tweet") &&
      e.original_end_tag.length > 0) {
    std::string id, url;
    LastStatusLink(n, {}, id, url);
    if (!id.empty()) {
      const GumboAttribute* theme = gumbo_get_attribute(&e.attributes, "data-theme");
      const GumboAttribute* conv = gumbo_get_attribute(&e.attributes, "data-conversation");
      std::string query;
      if (theme != nullptr &&
          (std::string_view(theme->value) == "dark" || std::string_view(theme->value) == "light")) {
        query += std::string(query.empty() ? "?" : "&") + "theme=" + theme->value;
      }
      if (conv != nullptr && std::string_view(conv->value) == "none") {
        query += std::string(query.empty() ? "?" : "&") + "hide_thread=1";
      }
      edits.push_back({e.start_pos.offset, e.end_pos.offset + e.original_end_tag.length,
                       "<iframe src=\"" + o.base + "/embed/x/" + id + query +
                           "\" width=\"550\" height=\"400\" style=\"border:0;max-width:100%\" "
                           "loading=\"lazy\" title=\"Archived post\"></iframe>"});
      return;
    }
  }
  for (unsigned i = 0; i < e.children.length; ++i) {
    Collect(static_cast<const GumboNode*>(e.children.data[i]), o, edits, mastodon_hosts, depth + 1);
  }
}

}  // namespace

ScannedArticle ScanArticle(std::string_view html, std::string_view fetched_url,
                           const std::vector<std::string>& nitter_hosts) {
  Scanner s{nitter_hosts, {}};
  {
    const detail::Html doc(html);
    s.Visit(doc.root());
  }
  if (s.out.canonical_url.empty()) s.out.canonical_url = fetched_url;
  auto trim = [](std::string& t) {
    const size_t a = t.find_first_not_of(" \t\r\n");
    const size_t b = t.find_last_not_of(" \t\r\n");
    t = a == std::string::npos ? "" : t.substr(a, b - a + 1);
  };
  trim(s.out.title);
  return std::move(s.out);
}

std::string RewritePage(std::string_view page, const RewriteSpec& spec) {
  RewriteSpec o = spec;
  while (!o.base.empty() && o.base.back() == '/') o.base.pop_back();
  std::vector<Edit> edits;
  std::set<std::string> mastodon_hosts;
  {
    const detail::Html doc(page);
    Collect(doc.root(), o, edits, mastodon_hosts);
  }
  std::sort(edits.begin(), edits.end(),
            [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
  std::string out;
  size_t pos = 0;
  for (const Edit& e : edits) {
    if (e.begin < pos || e.end > page.size()) continue;
    out.append(page.data() + pos, e.begin - pos);
    out += e.text;
    pos = e.end;
  }
  out.append(page.data() + pos, page.size() - pos);
  return out;
}

}  // namespace stillpost::fetcher
