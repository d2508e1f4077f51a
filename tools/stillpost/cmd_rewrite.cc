// stillpost rewrite: fetcher::RewritePage on a page (a file, a URL, or stdin), printed.
#include <iostream>

#include "fetcher/article.h"
#include "tools/stillpost/commands.h"

namespace stillpost::cli {

int RunRewrite(const GlobalOptions&, const RewriteOptions& options) {
  auto http = HttpOptionsFrom(options.fetch);
  if (!http) return UsageFail(http.error().message());
  auto page = LoadPage(options.page, *http);
  if (!page) return Fail(page.error());
  std::cout << fetcher::RewritePage(page->first, {options.base, options.iframes});
  return kExitOk;
}

}  // namespace stillpost::cli
