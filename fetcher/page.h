// Fetching pages (articles, feeds) by URL through the usual client (upstream rewriting, the
// address guard, size caps, retries): for the CLI's `archive URL` and `rewrite URL`, and the
// service's articles and feeds.
#pragma once

#include <string>
#include <vector>

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

// Each request's answer (any status) or error, in order, fetched at once on one client.
std::vector<Result<HttpResponse>> FetchAll(std::vector<HttpRequest> requests,
                                           const HttpOptions& http);

}  // namespace stillpost::fetcher
