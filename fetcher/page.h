// Fetching a page (an article) by URL: one GET through the usual client (upstream rewriting,
// the address guard, size caps, retries), for the CLI's `archive URL` and `rewrite URL`.
#pragma once

#include <string>

#include "common/status.h"
#include "fetcher/http.h"

namespace stillpost::fetcher {

struct Page {
  std::string html;
  std::string url;  // where it was found, after redirects
};

// The page at `url`. Errors: the client's (PermissionDenied for a refused address, ...), with
// "fetching URL" in front; Unavailable for an answer other than 200.
Result<Page> FetchPage(const std::string& url, const HttpOptions& http);

}  // namespace stillpost::fetcher
