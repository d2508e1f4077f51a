#include "fetcher/page.h"

namespace stillpost::fetcher {

std::vector<Result<HttpResponse>> FetchAll(std::vector<HttpRequest> requests,
                                           const HttpOptions& http) {
  std::vector<Result<HttpResponse>> out;
  out.reserve(requests.size());
  for (const auto& r : requests) out.emplace_back(UnavailableError("no answer for " + r.url));
  HttpClient client(http);
  for (size_t i = 0; i < requests.size(); ++i) {
    client.Add(std::move(requests[i]),
               [&out, i](Result<HttpResponse> r) { out[i] = std::move(r); });
  }
  client.Run();
  return out;
}

Result<Page> FetchPage(const std::string& url, const HttpOptions& http) {
  auto answer = std::move(FetchAll({{url, BodyKind::kHtml}}, http).front());
  if (!answer) return answer.error().WithContext("fetching " + url);
  if (answer->status != 200) {
    return UnavailableError("fetching " + url + ": HTTP " + std::to_string(answer->status));
  }
  return Page{std::move(answer->body), answer->url};
}

}  // namespace stillpost::fetcher
