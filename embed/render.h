// Rendering an archived post as a self-contained embed page, its oEmbed answer, and embed.js.
// Pure and deterministic: the same capture, state and options give the same bytes (golden
// tests hold this); no I/O, no clock. Every string from upstream is escaped; only http(s) URLs
// become links; media come only from our /media/. Thread safety: pure functions; call them
// from any thread.
//   std::string html = embed::RenderEmbed({state, capture}, options);
#pragma once

#include <string>
#include <string_view>

#include "stillpost.pb.h"

namespace stillpost::embed {

// Bump when the output changes: it is part of every ETag.
inline constexpr int kRendererVersion = 4;
inline constexpr int kMinWidth = 250;
inline constexpr int kMaxWidth = 550;

enum class Theme { kAuto, kLight, kDark };

struct EmbedOptions {
  Theme theme = Theme::kAuto;
  bool hide_media = false;
  bool hide_thread = false;
  // A capture asked for by time (capture=TIME): shown as it was, with a line saying when, and
  // whether the post has gone since.
  bool pinned = false;
  // The path the archive is deployed under ("" or "/archive"): media URLs keep it.
  std::string_view base_path;
  // Media at the URLs they were fetched from instead of our /media/ (a web archive export,
  // which holds those URLs' answers): an embed that replays from the WARC alone.
  bool original_media_urls = false;
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

// The height in px of the embed page in a frame `width` px wide (clamped to kMinWidth..kMaxWidth),
// laid out as RenderEmbed's stylesheet lays it out (embed/detail/layout.h): what oEmbed answers.
int EmbedHeight(const EmbedInput& input, const EmbedOptions& options, int width);

// What an oEmbed request asks for (https://oembed.com, and the options X's oEmbed takes).
struct OEmbedOptions {
  std::string_view base;  // our base URL ("https://archive.example", or with a path prefix)
  int maxwidth = 0;       // 0: kMaxWidth; clamped to kMinWidth..kMaxWidth
  int maxheight = 0;      // 0: none; a taller embed gets a frame this tall that scrolls
  Theme theme = Theme::kAuto;
  bool hide_media = false;
  bool hide_thread = false;
  std::string align = {};    // "left", "center", "right", or "" (none)
  bool omit_script = false;  // leave embed.js (which keeps the frame as tall as the post) out
};

// Our iframe for a post, as wide as asked and as tall as the post is at that width
// (EmbedHeight), with embed.js unless omit_script: oEmbed's `html`, and `rewrite --iframes`.
std::string EmbedIframe(const EmbedInput& input, const OEmbedOptions& options);

// oEmbed 1.0 (type rich) for a post, its html EmbedIframe's. JSON text.
std::string RenderOEmbed(const EmbedInput& input, const OEmbedOptions& options);

// The drop-in for platform.twitter.com/widgets.js.
std::string_view EmbedJs();

// Text escaped for HTML text and attribute values; invalid UTF-8 becomes U+FFFD.
std::string HtmlEscape(std::string_view text);
// An absolute http or https URL (the only ones that become links).
bool IsHttpUrl(std::string_view url);

}  // namespace stillpost::embed
