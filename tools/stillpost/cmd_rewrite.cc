// stillpost rewrite: fetcher::RewritePage on a page (a file, a URL, or stdin), printed. With
// --iframes, each embed of a post the archive holds becomes our iframe, sized as oEmbed sizes it;
// the others keep the page's own markup.
#include <iostream>

#include "archive/store.h"
#include "embed/render.h"
#include "fetcher/article.h"
#include "tools/stillpost/commands.h"

namespace stillpost::cli {

int RunRewrite(const GlobalOptions& global, const RewriteOptions& options) {
  auto http = HttpOptionsFrom(options.fetch);
  if (!http) return UsageFail(http.error().message());
  auto page = LoadPage(options.page, *http);
  if (!page) return Fail(page.error());
  fetcher::RewriteSpec spec{options.base, options.iframes, {}};
  while (!spec.base.empty() && spec.base.back() == '/') spec.base.pop_back();
  std::unique_ptr<archive::Store> store;
  if (options.iframes) {
    // Read only, beside any writer; no store yet means nothing is archived.
    auto opened = OpenStoreForReading(global);
    if (!opened && opened.error().code() != StatusCode::kNotFound) return Fail(opened.error());
    if (opened) store = std::move(*opened);
    spec.iframe_for = [&](const fetcher::FoundPost& post,
                          const fetcher::EmbedSite& site) -> std::string {
      if (!store) return "";
      auto key = archive::KeyOfRef(*store, post.ref);
      if (!key) return "";
      auto state = store->State(*key);
      if (!state || !state->has_latest_good()) return "";
      proto::PostState s = *state;
      const proto::Capture latest = s.latest_good();
      s.clear_latest_good();
      embed::OEmbedOptions o;
      o.base = spec.base;
      o.maxwidth = site.width;
      o.theme = site.theme == "dark"    ? embed::Theme::kDark
                : site.theme == "light" ? embed::Theme::kLight
                                        : embed::Theme::kAuto;
      o.hide_thread = site.hide_thread;
      o.hide_media = site.hide_media;
      o.align = site.align;
      o.omit_script = true;  // one embed.js for the page (RewritePage sees to it)
      return embed::EmbedIframe(embed::EmbedInput{s, latest}, o);
    };
  }
  std::cout << fetcher::RewritePage(page->first, spec);
  return kExitOk;
}

}  // namespace stillpost::cli
