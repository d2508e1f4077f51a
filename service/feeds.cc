#include "service/feeds.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <memory>
#include <set>

#include "common/web.h"

namespace stillpost::service {
namespace {

constexpr std::string_view kAtomNs = "http://www.w3.org/2005/Atom";
constexpr std::string_view kNewsNs = "sitemap-news/0.9";  // http or https, google.com or .co.uk

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct CharFree {
  void operator()(xmlChar* c) const { xmlFree(c); }
};

std::string_view Name(const xmlNode* n) {
  return n->name == nullptr ? std::string_view() : reinterpret_cast<const char*>(n->name);
}

std::string_view Ns(const xmlNode* n) {
  return n->ns == nullptr || n->ns->href == nullptr
             ? std::string_view()
             : std::string_view(reinterpret_cast<const char*>(n->ns->href));
}

std::string Text(const xmlNode* n) {
  std::unique_ptr<xmlChar, CharFree> c(xmlNodeGetContent(n));
  if (!c) return {};
  std::string s(reinterpret_cast<const char*>(c.get()));
  const size_t start = s.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return {};
  return s.substr(start, s.find_last_not_of(" \t\r\n") - start + 1);
}

std::string Attr(const xmlNode* n, const char* name) {
  std::unique_ptr<xmlChar, CharFree> c(xmlGetProp(n, reinterpret_cast<const xmlChar*>(name)));
  return c ? std::string(reinterpret_cast<const char*>(c.get())) : std::string();
}

// Element children, in order.
std::vector<const xmlNode*> Children(const xmlNode* n) {
  std::vector<const xmlNode*> out;
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) out.push_back(c);
  }
  return out;
}

const xmlNode* Child(const xmlNode* n, std::string_view name) {
  for (const xmlNode* c : Children(n)) {
    if (Name(c) == name) return c;
  }
  return nullptr;
}

// `ref` made absolute against `base`; empty unless the result is http(s).
std::string Resolve(const std::string& base, const std::string& ref) {
  if (ref.empty()) return {};
  auto b = boost::urls::parse_uri(base);
  auto r = boost::urls::parse_uri_reference(ref);
  if (!r) return {};
  std::string out;
  if (b) {
    boost::urls::url resolved;
    if (!boost::urls::resolve(*b, *r, resolved)) return {};
    out = std::string(resolved.buffer());
  } else {
    out = ref;
  }
  return IsHttpUrl(out) ? out : std::string();
}

class Collector {
 public:
  explicit Collector(std::string base) : base_(std::move(base)) {}
  void Add(const std::string& ref, std::string title, std::string published) {
    std::string url = Resolve(base_, ref);
    if (url.empty() || !seen_.insert(url).second) return;
    feed.items.push_back({std::move(url), std::move(title), std::move(published)});
  }
  ParsedFeed feed;

 private:
  std::string base_;
  std::set<std::string> seen_;
};

void ReadRssItem(const xmlNode* item, Collector& out) {
  std::string link;
  if (const xmlNode* l = Child(item, "link")) link = Text(l);
  if (link.empty()) {
    // <guid isPermaLink="true"> (the default) is the item's URL when there is no <link>.
    if (const xmlNode* g = Child(item, "guid"); g != nullptr && Attr(g, "isPermaLink") != "false") {
      link = Text(g);
    }
  }
  std::string title, date;
  if (const xmlNode* t = Child(item, "title")) title = Text(t);
  if (const xmlNode* d = Child(item, "pubDate")) date = Text(d);
  if (const xmlNode* d = Child(item, "date"); date.empty() && d != nullptr) date = Text(d);
  out.Add(link, std::move(title), std::move(date));
}

void ReadAtomEntry(const xmlNode* entry, Collector& out) {
  std::string link;
  for (const xmlNode* c : Children(entry)) {
    if (Name(c) != "link") continue;
    const std::string rel = Attr(c, "rel");
    if (rel.empty() || rel == "alternate") {
      link = Attr(c, "href");
      break;
    }
  }
  std::string title, date;
  if (const xmlNode* t = Child(entry, "title")) title = Text(t);
  if (const xmlNode* d = Child(entry, "published")) date = Text(d);
  if (const xmlNode* d = Child(entry, "updated"); date.empty() && d != nullptr) date = Text(d);
  out.Add(link, std::move(title), std::move(date));
}

void ReadSitemapUrl(const xmlNode* url, Collector& out, bool& news) {
  std::string loc, title, date;
  if (const xmlNode* l = Child(url, "loc")) loc = Text(l);
  if (const xmlNode* d = Child(url, "lastmod")) date = Text(d);
  for (const xmlNode* c : Children(url)) {
    if (Name(c) != "news" || Ns(c).find(kNewsNs) == std::string_view::npos) continue;
    news = true;
    if (const xmlNode* t = Child(c, "title")) title = Text(t);
    if (const xmlNode* d = Child(c, "publication_date")) date = Text(d);
  }
  out.Add(loc, std::move(title), std::move(date));
}

}  // namespace

Result<ParsedFeed> ParseFeed(std::string_view xml, const std::string& base_url) {
  if (xml.size() > static_cast<size_t>(INT32_MAX)) return InvalidArgumentError("feed too large");
  // No network, no entity substitution (XXE), no DTD loading; errors recovered from rather than
  // printed (real feeds are often slightly broken).
  const int options = XML_PARSE_NONET | XML_PARSE_RECOVER | XML_PARSE_NOERROR |
                      XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | XML_PARSE_NOBLANKS;
  std::unique_ptr<xmlDoc, DocFree> doc(
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), base_url.c_str(), nullptr, options));
  const xmlNode* root = doc ? xmlDocGetRootElement(doc.get()) : nullptr;
  if (root == nullptr) return InvalidArgumentError("not XML: " + ValidUtf8(base_url));
  Collector out(base_url);
  const std::string_view name = Name(root);
  if (name == "rss") {
    out.feed.format = "rss";
    const xmlNode* channel = Child(root, "channel");
    if (channel == nullptr) return InvalidArgumentError("an RSS feed without <channel>");
    if (const xmlNode* t = Child(channel, "title")) out.feed.title = Text(t);
    for (const xmlNode* c : Children(channel)) {
      if (Name(c) == "item") ReadRssItem(c, out);
    }
  } else if (name == "RDF") {
    out.feed.format = "rdf";
    for (const xmlNode* c : Children(root)) {
      if (Name(c) == "channel") {
        if (const xmlNode* t = Child(c, "title")) out.feed.title = Text(t);
      }
      if (Name(c) == "item") ReadRssItem(c, out);
    }
  } else if (name == "feed" && Ns(root) == kAtomNs) {
    out.feed.format = "atom";
    if (const xmlNode* t = Child(root, "title")) out.feed.title = Text(t);
    for (const xmlNode* c : Children(root)) {
      if (Name(c) == "entry") ReadAtomEntry(c, out);
    }
  } else if (name == "urlset") {
    bool news = false;
    for (const xmlNode* c : Children(root)) {
      if (Name(c) == "url") ReadSitemapUrl(c, out, news);
    }
    out.feed.format = news ? "news-sitemap" : "sitemap";
  } else if (name == "sitemapindex") {
    out.feed.format = "sitemap-index";
    for (const xmlNode* c : Children(root)) {
      if (Name(c) != "sitemap") continue;
      if (const xmlNode* l = Child(c, "loc")) {
        if (std::string u = Resolve(base_url, Text(l)); !u.empty()) out.feed.sitemaps.push_back(u);
      }
    }
  } else {
    return InvalidArgumentError("not a feed (RSS, Atom or sitemap): the root element is <" +
                                ValidUtf8(name) + ">");
  }
  return std::move(out.feed);
}

}  // namespace stillpost::service
