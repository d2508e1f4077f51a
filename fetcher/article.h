// Finding the posts an article references, with a real HTML5 parser (gumbo).
// The scanner first finds the article's own content the way readability-style extractors do
// (the <article> / itemprop=articleBody / <main> candidate with the most text that is not link
// text, outside sidebars), so "latest tweets" widgets, related-story rails and a second story
// loaded by infinite scroll are not the article's; --whole-page scans everything. There it
// takes every embed form real pages use (blockquote.twitter-tweet, amp-twitter, X's widget
// iframes with or without src, data-tweet-id placeholders, lazy iframes by data-src,
// blockquote.bluesky-embed, embed.bsky.app iframes, blockquote/iframe.mastodon-embed, iframely
// and WordPress embed blocks, Substack tweet blocks) and links to posts, in document order, each
// post once. Wrappers are judged by what they hold, never by their class names; a share widget
// is a group of share/intent links. Not posts: share/intent, profile, hashtag and search links;
// anything in <script>, <style> or <template>.
// Thread safety: pure functions over the page's bytes; call them from any thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/post_ref.h"

namespace stillpost::fetcher {

struct FoundPost {
  std::string key;       // x/ID, mastodon/HOST/ID, bsky/DID/RKEY; a bsky.app URL by handle
                         // has none until the handle is resolved (ref.NeedsResolving())
  std::string url;       // the reference as the page gave it
  std::string found_as;  // "blockquote", "amp", "iframe", "embed" or "link": the first embed form
  PostRef ref;           // what to archive; ref.unverified for a Mastodon-shaped link on a host
                         // that nothing on the page or in our list shows to be Mastodon
};

// An embed element of the page (a platform blockquote, iframe or amp-* element) and what it
// asks for, at its place in the source: what `rewrite --iframes` replaces.
struct EmbedSite {
  size_t begin = 0;  // byte offsets of the whole element in the page
  size_t end = 0;
  size_t post = 0;           // index into ScannedArticle::posts
  std::string theme;         // data-theme / data-bluesky-embed-color-mode: "dark", "light" or ""
  std::string align;         // data-align / align: "left", "center", "right" or ""
  bool hide_thread = false;  // data-conversation="none"
  bool hide_media = false;   // data-cards="hidden"
  int width = 0;             // data-width / width, when the page gave one
};

struct ScanOptions {
  std::vector<std::string> nitter_hosts;  // extra hosts whose /USER/status/ID links are X posts
  bool whole_page = false;                // scan the whole page, not only the main content
};

struct ScannedArticle {
  // <link rel="canonical"> when it is on the fetched URL's site (or the page is a local file),
  // else the URL it was fetched from: a page cannot claim another site's article record.
  std::string canonical_url;
  std::string title;
  std::vector<FoundPost> posts;
  std::string scope;       // "main-content" or "whole-page"
  std::string scope_path;  // the main content element, e.g. "body > div#page > article.story"
  std::vector<EmbedSite> embeds;  // the embed elements among them, in document order
};

ScannedArticle ScanArticle(std::string_view html, std::string_view fetched_url,
                           const ScanOptions& options = {});

struct RewriteSpec {
  std::string base;      // the archive's base URL, e.g. https://archive.example
  bool iframes = false;  // replace each embed by our iframe, not only the script
  // With `iframes`: our iframe's HTML for an embed of an archived post, or "" to keep the
  // page's own markup (a post that is not archived).
  std::function<std::string(const FoundPost&, const EmbedSite&)> iframe_for = {};
};
// The page with X's widgets.js, Bluesky's and Mastodon's embed.js swapped for BASE/embed.js
// (with `iframes`, each embed element of every form the scanner knows — blockquotes, platform
// iframes, amp-twitter — replaced by iframe_for's answer, and embed.js added when the page had no
// platform script); every other byte as it was (gumbo's source offsets).
std::string RewritePage(std::string_view page, const RewriteSpec& spec);

}  // namespace stillpost::fetcher
