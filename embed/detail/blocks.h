// The blocks of a post's embed, each rendered and measured by the same code path: the author,
// the reply parent, the content (text, poll, media, card, content warning) and the quoted post.
// Private to embed/.
#pragma once

#include <string>

#include "embed/detail/render_kit.h"

namespace stillpost::embed::detail {

// Avatar, name and handle; the platform's mark when `logo`. `href`: where the name links
// instead of the profile (a quoted post: its archived embed).
void RenderAuthor(Writer& w, const Post& post, bool logo, const std::string& href = {});
// A reply's parent, compactly; nothing when hidden or not a reply.
void RenderParent(Writer& w, const Post& post, const EmbedOptions& o);
double ParentHeight(const Post& post, const EmbedOptions& o, double width);
// The text, poll, media and card, behind the content warning if any.
void RenderContent(Writer& w, const Post& post, const EmbedOptions& o);
double ContentHeight(const Post& post, const EmbedOptions& o, double width, bool nested);
// The quoted post (or why it is not shown).
void RenderQuote(Writer& w, const Post& post, const EmbedOptions& o);
double QuoteHeight(const Post& post, const EmbedOptions& o, double width);

}  // namespace stillpost::embed::detail
