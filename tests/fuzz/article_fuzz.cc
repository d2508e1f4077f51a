// The article scanner (main content, embeds, links) and the page rewriter on any page.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/post_key.h"
#include "fetcher/article.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view html(reinterpret_cast<const char*>(data), size);
  for (bool whole : {false, true}) {
    stillpost::fetcher::ScanOptions options;
    options.whole_page = whole;
    const auto a = stillpost::fetcher::ScanArticle(html, "https://news.example/a", options);
    for (const auto& p : a.posts) {
      // Every post found is a valid key, or a handle still to resolve.
      if (!p.key.empty() && !stillpost::ParsePostKey(p.key)) std::abort();
      if (p.key.empty() && p.ref.bsky_handle.empty()) std::abort();
    }
  }
  const std::string out =
      stillpost::fetcher::RewritePage(html, {"https://archive.example", size % 2 == 0});
  if (out.empty() && size > 0) std::abort();
  return 0;
}
