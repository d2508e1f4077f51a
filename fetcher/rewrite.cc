// RewritePage (fetcher/article.h): a page's platform embed scripts pointed at ours, and its
// embeds of archived posts made iframes, edited in place (byte offsets from gumbo).
#include <gumbo.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "fetcher/article.h"
#include "fetcher/detail/html.h"
#include "fetcher/detail/links.h"

namespace stillpost::fetcher {
namespace {

using detail::Attr;
using detail::HasClass;
using detail::HostOf;

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
  for (unsigned i = 0; i < e.children.length; ++i) {
    Collect(static_cast<const GumboNode*>(e.children.data[i]), o, edits, mastodon_hosts, depth + 1);
  }
}

}  // namespace

std::string RewritePage(std::string_view page, const RewriteSpec& spec) {
  RewriteSpec o = spec;
  while (!o.base.empty() && o.base.back() == '/') o.base.pop_back();
  std::vector<Edit> edits;
  std::set<std::string> mastodon_hosts;
  {
    const detail::Html doc(page);
    Collect(doc.root(), o, edits, mastodon_hosts);
  }
  if (o.iframes && o.iframe_for) {
    // Every embed of the page, wherever it is: the scanner's own list of embed elements.
    ScanOptions whole;
    whole.whole_page = true;
    const ScannedArticle scanned = ScanArticle(page, "", whole);
    const bool had_script = !edits.empty();
    bool added_script = false;
    for (const EmbedSite& site : scanned.embeds) {
      std::string html = o.iframe_for(scanned.posts[site.post], site);
      if (html.empty()) continue;  // not archived: the page's own embed stays
      if (!had_script && !added_script) {
        // Our iframes keep their post's height through embed.js; the page had none to swap.
        html += "<script async src=\"" + o.base + "/embed.js\" charset=\"utf-8\"></script>";
        added_script = true;
      }
      edits.push_back({site.begin, site.end, std::move(html)});
    }
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
