// Rendering an archived post as a self-contained embed page, its oEmbed answer, and embed.js.
// Pure and deterministic: the same capture, state and options give the same bytes (golden
// tests hold this); no I/O, no clock. Every string from upstream is escaped; only http(s) URLs
// become links; media come only from our /media/.
//   std::string html = embed::RenderEmbed({state, capture}, options);
#pragma once

#include <string>
#include <string_view>

#include "stillpost.pb.h"

namespace stillpost::embed {

// Bump when the output changes: it is part of every ETag.
inline constexpr int kRendererVersion = 2;
inline constexpr int kMinWidth = 250;
inline constexpr int kMaxWidth = 550;

enum class Theme { kAuto, kLight, kDark };

struct EmbedOptions {
  Theme theme = Theme::kAuto;
  bool hide_media = false;
  bool hide_thread = false;
};

struct EmbedInput {
  const proto::PostState& state;  // current state (for the gone band and "archived" dates)
  const proto::Capture& capture;  // the capture to show: the latest good one, or a pinned one
};

// The complete HTML document for /embed/<key>.
std::string RenderEmbed(const EmbedInput& input, const EmbedOptions& options);

// The only script an embed page carries: it posts the document height to the parent frame.
std::string_view HeightScript();
// The Content-Security-Policy for embed pages: nothing from anywhere but our own origin, the
// inline style and the height script by hash.
const std::string& EmbedContentSecurityPolicy();

// oEmbed 1.0 (type rich) for a post; `base` is our origin ("https://archive.example"), width is
// clamped to kMinWidth..kMaxWidth. JSON text.
std::string RenderOEmbed(const EmbedInput& input, std::string_view base, int maxwidth);

// The drop-in for platform.twitter.com/widgets.js.
std::string_view EmbedJs();

// Text escaped for HTML text and attribute values; invalid UTF-8 becomes U+FFFD.
std::string HtmlEscape(std::string_view text);
// An absolute http or https URL (the only ones that become links).
bool IsHttpUrl(std::string_view url);

}  // namespace stillpost::embed
