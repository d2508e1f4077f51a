#include "fetcher/detail/http_policy.h"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "common/web.h"

namespace stillpost::fetcher::detail {

std::string ShortUrl(const std::string& url) { return url.substr(0, url.find('&')); }

Step NextStep(const Attempt& a, const HttpLimits& limits, std::chrono::milliseconds backoff) {
  Step step;
  auto fail = [&step](Status s) {
    step.kind = Step::Kind::kFail;
    step.error = std::move(s);
    return step;
  };
  const std::string host = HostOf(a.url);
  const bool can_retry = a.attempts < limits.max_attempts;
  const std::string tries =
      " after " + std::to_string(a.attempts) + " attempt" + (a.attempts == 1 ? "" : "s");
  if (a.transport == Attempt::Transport::kOk) {
    const long status = a.status;
    if (status >= 300 && status < 400 && status != 304 && !a.location.empty()) {
      if (a.redirects + 1 > HttpLimits::kMaxRedirects) {
        return fail(InvalidArgumentError("more than " + std::to_string(HttpLimits::kMaxRedirects) +
                                         " redirects from " + ShortUrl(a.request_url)));
      }
      auto base = boost::urls::parse_absolute_uri(a.url);
      auto ref = boost::urls::parse_uri_reference(a.location);
      boost::urls::url next;
      if (!base || !ref || !boost::urls::resolve(*base, *ref, next)) {
        return fail(InvalidArgumentError("bad redirect from " + host + " to " + a.location));
      }
      if (next.scheme_id() != boost::urls::scheme::http &&
          next.scheme_id() != boost::urls::scheme::https) {
        return fail(
            InvalidArgumentError("redirect from " + host + " to a non-http(s) URL: " + a.location));
      }
      step.kind = Step::Kind::kRedirect;
      step.next_url = std::string(next.buffer());
      return step;
    }
    if (status == 429 || status >= 500) {
      if (can_retry) {
        step.kind = Step::Kind::kRetry;
        step.delay = backoff;
        if (a.retry_after_seconds > 0) {
          const std::chrono::milliseconds asked(a.retry_after_seconds * 1000);
          if (asked > limits.retry_after_max) {
            return fail(ResourceExhaustedError(host + " asked to retry after " +
                                               std::to_string(a.retry_after_seconds) +
                                               " s, more than we wait"));
          }
          step.delay = asked;
        }
        return step;
      }
      if (status == 429)
        return fail(ResourceExhaustedError("rate limited (HTTP 429) by " + host + tries));
      return fail(UnavailableError("HTTP " + std::to_string(status) + " from " + host + tries));
    }
    return step;  // kDeliver
  }
  if (a.transport == Attempt::Transport::kBadUrl) {
    return fail(InvalidArgumentError(a.transport_error + ": " + a.url));
  }
  if (can_retry) {
    step.kind = Step::Kind::kRetry;
    step.delay = backoff;
    return step;
  }
  switch (a.transport) {
    case Attempt::Transport::kTimedOut:
      return fail(DeadlineExceededError("timed out fetching " + ShortUrl(a.request_url) + tries));
    case Attempt::Transport::kCutShort:
      return fail(
          DataLossError("the body of " + ShortUrl(a.request_url) + " was cut short" + tries));
    default:
      return fail(
          UnavailableError(a.transport_error + " fetching " + ShortUrl(a.request_url) + tries));
  }
}

}  // namespace stillpost::fetcher::detail
