// stillpost rewrite: fetcher::RewritePage on a file, printed.
#include <fstream>
#include <iostream>
#include <sstream>

#include "fetcher/article.h"
#include "tools/stillpost/commands.h"

namespace stillpost::cli {

int RunRewrite(const GlobalOptions&, const RewriteOptions& options) {
  if (options.base.rfind("http://", 0) != 0 && options.base.rfind("https://", 0) != 0) {
    std::cerr << "stillpost: --base takes the archive's http(s) origin, not '" << options.base
              << "'\n";
    return kExitUsage;
  }
  std::ifstream in(options.page, std::ios::binary);
  if (!in) return Fail(NotFoundError("cannot read " + options.page));
  std::ostringstream buf;
  buf << in.rdbuf();
  std::cout << fetcher::RewritePage(buf.str(), {options.base, options.iframes});
  return kExitOk;
}

}  // namespace stillpost::cli
