// HTML written by other servers (Mastodon `content`): an allowlist sanitiser, and the plain text
// with entities that every platform's post is stored as. Both use gumbo, a real HTML5 parser.
//   std::string safe = SanitizeHtml(status_content);   // p, br, a (http/https), span
//   RichText rich = HtmlToRichText(safe);              // text + links/mentions/hashtags
// Thread safety: pure functions; call them from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "stillpost.pb.h"

namespace stillpost::fetcher {

// Keeps `p`, `br`, `a` with an http(s) href (rel forced to nofollow noopener noreferrer) and
// `span`, with only the microformat classes Mastodon uses (mention, hashtag, u-url, h-card,
// invisible, ellipsis). Every other element is dropped and its text kept, except those whose
// content is not text for a reader (script, style, iframe, template, svg, ...), which are dropped
// whole. Invalid UTF-8 becomes U+FFFD. The output is well-formed and fully escaped.
std::string SanitizeHtml(std::string_view html);

struct RichText {
  std::string text;                     // paragraphs separated by "\n\n", <br> by "\n"
  std::vector<proto::Entity> entities;  // code points, sorted, non-overlapping
};

// Text and entities of sanitised HTML: a link's slice is its whole text (the full URL Mastodon
// hides in "invisible" spans), its display what Mastodon shows ("host/path…"); `a.hashtag` is a
// hashtag, `a.mention` a mention (target_id is left for the caller, who knows the accounts).
RichText HtmlToRichText(std::string_view sanitized_html);

// Adds a KIND_CUSTOM_EMOJI entity for every ":shortcode:" of `emoji` (shortcode -> image URL)
// in `text` outside the existing entities; keeps `entities` sorted.
void AddCustomEmoji(const std::string& text,
                    const std::vector<std::pair<std::string, std::string>>& emoji,
                    std::vector<proto::Entity>& entities);

}  // namespace stillpost::fetcher
