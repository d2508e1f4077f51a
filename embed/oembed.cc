// oEmbed: the iframe snippet and the oEmbed 1.0 answer (with X's extensions) for a capture.
#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "embed/detail/render_kit.h"
#include "embed/render.h"

namespace stillpost::embed {

using namespace detail;  // NOLINT: the renderer's own kit (embed/detail/render_kit.h)

namespace {

struct Frame {
  int width = 0;
  int height = 0;
  std::string html;
};

Frame MakeFrame(const EmbedInput& in, const OEmbedOptions& o) {
  const Post& post = in.capture.post();
  Frame f;
  f.width = std::clamp(o.maxwidth <= 0 ? kMaxWidth : o.maxwidth, kMinWidth, kMaxWidth);
  EmbedOptions eo;
  eo.theme = o.theme;
  eo.hide_media = o.hide_media;
  eo.hide_thread = o.hide_thread;
  f.height = EmbedHeight(in, eo, f.width);
  // maxheight: the frame no taller; the embed scrolls inside it.
  const bool capped = o.maxheight > 0 && f.height > o.maxheight;
  if (capped) f.height = o.maxheight;
  std::string src = std::string(o.base) + "/embed/" + post.key();
  std::string query;
  auto add = [&query](const std::string& p) { query += (query.empty() ? "?" : "&") + p; };
  if (o.theme == Theme::kDark) add("theme=dark");
  if (o.theme == Theme::kLight) add("theme=light");
  if (o.hide_media) add("hide_media=1");
  if (o.hide_thread) add("hide_thread=1");
  src += query;
  std::string style = "border:0;max-width:100%;display:block;";
  style += o.align == "center"  ? "margin:10px auto"
           : o.align == "right" ? "margin:10px 0 10px auto"
           : o.align == "left"  ? "margin:10px auto 10px 0"
                                : "margin:10px 0";
  std::string& html = f.html;
  html = "<iframe class=\"stillpost-embed\" src=\"" + HtmlEscape(src) + "\" width=\"" +
         std::to_string(f.width) + "\" height=\"" + std::to_string(f.height) + "\"";
  if (o.maxheight > 0) html += " data-maxheight=\"" + std::to_string(o.maxheight) + "\"";
  if (!o.align.empty()) html += " data-align=\"" + HtmlEscape(o.align) + "\"";
  html += std::string(" scrolling=\"") + (capped ? "auto" : "no") + "\" style=\"" + style +
          "\" loading=\"lazy\" sandbox=\"allow-scripts allow-popups "
          "allow-popups-to-escape-sandbox\" referrerpolicy=\"no-referrer\" title=\"" +
          HtmlEscape("Archived post by " + post.author().display_name()) + "\"></iframe>";
  // Like X's oEmbed with widgets.js: our script keeps the frame as tall as its post (a reader's
  // fonts, an image that is taller than its metadata said); omit_script leaves it out.
  if (!o.omit_script) {
    html += "<script async src=\"" + HtmlEscape(std::string(o.base) + "/embed.js") +
            "\" charset=\"utf-8\"></script>";
  }
  return f;
}

}  // namespace

std::string EmbedIframe(const EmbedInput& in, const OEmbedOptions& o) {
  return MakeFrame(in, o).html;
}

std::string RenderOEmbed(const EmbedInput& in, const OEmbedOptions& o) {
  const Post& post = in.capture.post();
  Frame f = MakeFrame(in, o);
  boost::json::object j;
  j["type"] = "rich";
  j["version"] = "1.0";
  j["provider_name"] = "stillpost";
  j["provider_url"] = std::string(o.base);
  j["author_name"] = ValidUtf8(post.author().display_name());
  j["author_url"] = IsHttpUrl(post.author().profile_url()) ? post.author().profile_url() : "";
  j["url"] = IsHttpUrl(post.url()) ? post.url() : "";  // only http(s) URLs leave the server
  j["width"] = f.width;
  j["height"] = f.height;
  j["cache_age"] = 86400;
  j["html"] = std::move(f.html);
  for (const Media& m : post.media()) {
    const std::string& thumb = m.kind() == Media::KIND_PHOTO ? m.blob() : m.poster_blob();
    if (thumb.empty()) continue;
    j["thumbnail_url"] = std::string(o.base) + MediaUrl(thumb);
    j["thumbnail_width"] = m.width();
    j["thumbnail_height"] = m.height();
    break;
  }
  return boost::json::serialize(j);
}

}  // namespace stillpost::embed
