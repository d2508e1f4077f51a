// Feeds a newsroom publishes, read for the article URLs they name: RSS 2.0 (and RSS 1.0/RDF),
// Atom, sitemap.xml and Google News sitemaps. Parsed with libxml2 (a real XML parser: entities,
// encodings, CDATA and namespaces are its business, never resolved from the network).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace stillpost::service {

struct FeedItem {
  std::string url;        // absolute http(s) URL of the article
  std::string title;      // as the feed gives it (may be empty)
  std::string published;  // as the feed gives it (pubDate, published/updated, lastmod, ...)
};

struct ParsedFeed {
  // "rss", "rdf", "atom", "sitemap", "news-sitemap" or "sitemap-index".
  std::string format;
  std::string title;
  std::vector<FeedItem> items;  // document order (feeds list the newest first), each URL once
  // A sitemap index names other sitemaps rather than articles: they are listed here, not read.
  std::vector<std::string> sitemaps;
};

// Parses `xml`, resolving relative links against `base_url` (the feed's own URL) and keeping
// only http(s) ones. InvalidArgument for bytes that are not XML or not one of the formats.
Result<ParsedFeed> ParseFeed(std::string_view xml, const std::string& base_url);

}  // namespace stillpost::service
