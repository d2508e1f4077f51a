// The HTTP client's retry and redirect policy as a pure function: what to do after one attempt
// of a transfer, from what the attempt was. No libcurl here; http.cc translates curl's codes
// into an Attempt and carries the Step out. Tested in tests/unit/fetcher/http_policy_test.cc.
#pragma once

#include <chrono>
#include <string>

#include "common/status.h"
#include "fetcher/http.h"

namespace stillpost::fetcher::detail {

// How one attempt ended, as the policy needs it.
struct Attempt {
  enum class Transport {
    kOk,          // an HTTP answer arrived (any status)
    kTimedOut,    // a timeout or a stall
    kCutShort,    // the body ended before its length
    kBadUrl,      // a URL curl cannot use (malformed, an unsupported scheme)
    kOtherError,  // refused, reset, DNS, TLS, ...
  };
  Transport transport = Transport::kOk;
  std::string transport_error;   // curl's words, for messages
  long status = 0;               // when kOk
  std::string location;          // a redirect's Location, as sent
  long retry_after_seconds = 0;  // Retry-After of a 429 or 5xx (0: none)
  std::string url;               // the URL of this hop
  std::string request_url;       // as first asked (for messages)
  int attempts = 1;              // attempts made so far, this one included
  int redirects = 0;             // redirects followed so far
};

struct Step {
  enum class Kind {
    kDeliver,   // the answer goes to the caller (any status that is not retried)
    kRedirect,  // ask `next_url` now; not a failed attempt
    kRetry,     // ask again after `delay`
    kFail,      // the caller gets `error`
  };
  Kind kind = Kind::kDeliver;
  std::string next_url;
  std::chrono::milliseconds delay{0};
  Status error;
};

// The policy: a 3xx with a Location is followed (http/https only, at most kMaxRedirects, the
// reference resolved against this hop's URL); 429 and 5xx are retried after Retry-After (a longer
// wait than retry_after_max fails ResourceExhausted) or `backoff`; transport errors are
// retried, except a URL curl cannot use (InvalidArgument). Out of attempts: 429 is
// ResourceExhausted, 5xx Unavailable, a timeout DeadlineExceeded, a body cut short DataLoss, any
// other transport error Unavailable. `backoff` is the jittered delay of this attempt.
Step NextStep(const Attempt& attempt, const HttpLimits& limits, std::chrono::milliseconds backoff);

// A URL for messages: up to the first '&' (X's request URLs carry long feature lists).
std::string ShortUrl(const std::string& url);

}  // namespace stillpost::fetcher::detail
