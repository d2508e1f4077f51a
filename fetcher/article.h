// Finding the posts an article references, with a real HTML5 parser (gumbo): embeds
// (blockquote.twitter-tweet, amp-twitter, platform.twitter.com iframes, blockquote.bluesky-embed,
// embed.bsky.app iframes, blockquote.mastodon-embed and iframe.mastodon-embed) and links to posts
// on X, Bluesky and Mastodon in the article's content, in document order, each post once.
// Not posts: share/intent, profile, hashtag and search links; links in <nav>, <header>,
// <footer> and share widgets; anything in <script>, <style> or <template>.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/post_ref.h"

namespace stillpost::fetcher {

struct FoundPost {
  std::string key;       // x/ID, mastodon/HOST/ID, bsky/DID/RKEY; a bsky.app URL by handle
                         // has none until the handle is resolved (ref.NeedsResolving())
  std::string url;       // the reference as the page gave it
  std::string found_as;  // "blockquote", "amp", "iframe" or "link": the first embed form seen
  PostRef ref;           // what to archive
};

struct ScannedArticle {
  std::string canonical_url;  // <link rel="canonical">, else the URL it was fetched from
  std::string title;
  std::vector<FoundPost> posts;
};

ScannedArticle ScanArticle(std::string_view html, std::string_view fetched_url,
                           const std::vector<std::string>& nitter_hosts = {});

struct RewriteSpec {
  std::string base;      // the archive's origin, e.g. https://archive.example
  bool iframes = false;  // replace each X embed by our iframe, not only the script
};
// The page with X's widgets.js, Bluesky's and Mastodon's embed.js swapped for BASE/embed.js
// (with `iframes`, each recognised X blockquote replaced by our iframe); every other byte as it
// was (gumbo's source offsets).
std::string RewritePage(std::string_view page, const RewriteSpec& spec);

}  // namespace stillpost::fetcher
