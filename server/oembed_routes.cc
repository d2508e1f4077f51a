#include <boost/algorithm/string/case_conv.hpp>

#include "common/numbers.h"
#include "common/post_ref.h"
#include "embed/render.h"
#include "server/detail/respond.h"
#include "server/routes.h"

namespace stillpost::server {

using detail::Error;
using detail::Json;

// /oembed?url=...: the oEmbed 1.0 answer for an archived post, by post URL, id or our own embed
// URL, with X's extensions (maxwidth, maxheight, theme, hide_media, hide_thread, align,
// omit_script).
Response Router::OEmbed(const Query& q) {
  const std::string url = q.Get("url");
  if (url.empty()) return Error(400, "oEmbed needs url=");
  const std::string format = boost::algorithm::to_lower_copy(q.Get("format"));
  if (!format.empty() && format != "json") return Error(501, "only format=json is implemented");
  // Our own embed URLs name the key directly; post URLs and ids are recognised.
  std::string ref = url;
  const std::string own = options_.public_base + "/embed/";
  if (ref.rfind(own, 0) == 0) ref = ref.substr(own.size(), ref.find('?') - own.size());
  auto parsed = ParsePostRef(ref);
  if (!parsed) return Error(404, "not an archived post: " + url);
  auto key = archive::KeyOfRef(store_, *parsed);
  if (!key) return Error(404, "not an archived post: " + url);
  auto state = store_.State(*key);
  if (!state || !state->has_latest_good()) return Error(404, "not an archived post: " + url);
  auto number = [&](std::string_view name) {
    const std::string v = q.Get(name);
    const auto n = v.size() <= 5 ? ParseDigits(v) : std::nullopt;
    return n ? static_cast<int>(*n) : 0;
  };
  embed::OEmbedOptions o;
  o.base = options_.public_base;
  o.maxwidth = number("maxwidth");
  o.maxheight = number("maxheight");
  const std::string theme = q.Get("theme");
  o.theme = theme == "dark" ? embed::Theme::kDark
                            : (theme == "light" ? embed::Theme::kLight : embed::Theme::kAuto);
  o.hide_media = q.Flag("hide_media");
  o.hide_thread = q.Flag("hide_thread");
  const std::string align = q.Get("align");
  if (align == "left" || align == "right" || align == "center") o.align = align;
  o.omit_script = q.Flag("omit_script");
  // dnt=1 is accepted: stillpost never tracks, so there is nothing to turn off.
  proto::PostState s = *state;
  const proto::Capture latest = s.latest_good();
  s.clear_latest_good();
  Response r = Json(200, embed::RenderOEmbed(embed::EmbedInput{s, latest}, o));
  r.Replace("Cache-Control", "public, max-age=300");
  return r;
}

}  // namespace stillpost::server
