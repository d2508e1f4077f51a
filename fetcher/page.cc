#include "fetcher/page.h"

namespace stillpost::fetcher {

Result<Page> FetchPage(const std::string& url, const HttpOptions& http) {
  HttpClient client(http);
  Result<Page> out = UnavailableError("no answer for " + url);
  client.Add({url, BodyKind::kHtml}, [&](Result<HttpResponse> r) {
    if (!r) {
      out = r.error().WithContext("fetching " + url);
    } else if (r->status != 200) {
      out = UnavailableError("fetching " + url + ": HTTP " + std::to_string(r->status));
    } else {
      out = Page{std::move(r->body), r->url};
    }
  });
  client.Run();
  return out;
}

}  // namespace stillpost::fetcher
