// The HTTP client's retry and redirect policy, as a pure function (fetcher/detail/http_policy.h).
#include "fetcher/detail/http_policy.h"

#include <catch2/catch.hpp>

namespace stillpost::fetcher::detail {
namespace {

using std::chrono::milliseconds;
using Kind = Step::Kind;

Attempt Answer(long status, int attempts = 1) {
  Attempt a;
  a.status = status;
  a.url = "https://cdn.example/a/b?x=1&y=2";
  a.request_url = a.url;
  a.attempts = attempts;
  return a;
}

const HttpLimits kLimits;  // max_attempts 4, retry_after_max 60 s
const milliseconds kBackoff(700);

TEST_CASE("http policy: answers that are not retried go to the caller, whatever the status") {
  for (long status : {200L, 204L, 304L, 400L, 404L, 410L}) {
    INFO(status);
    CHECK(NextStep(Answer(status), kLimits, kBackoff).kind == Kind::kDeliver);
  }
  // A 3xx without a Location is an answer too.
  CHECK(NextStep(Answer(302), kLimits, kBackoff).kind == Kind::kDeliver);
}

TEST_CASE("http policy: redirects resolve against the hop, http(s) only, at most five") {
  Attempt a = Answer(301);
  a.location = "../c?z=3";
  Step s = NextStep(a, kLimits, kBackoff);
  REQUIRE(s.kind == Kind::kRedirect);
  CHECK(s.next_url == "https://cdn.example/c?z=3");

  a.location = "//other.example/p";
  CHECK(NextStep(a, kLimits, kBackoff).next_url == "https://other.example/p");

  a.location = "file:///etc/passwd";
  s = NextStep(a, kLimits, kBackoff);
  REQUIRE(s.kind == Kind::kFail);
  CHECK(s.error.code() == StatusCode::kInvalidArgument);
  CHECK(s.error.message() == "redirect from cdn.example to a non-http(s) URL: file:///etc/passwd");

  a.location = "http://[::1";  // not a URI reference
  CHECK(NextStep(a, kLimits, kBackoff).error.message().rfind("bad redirect from", 0) == 0);

  a.location = "/next";
  a.redirects = HttpLimits::kMaxRedirects - 1;
  CHECK(NextStep(a, kLimits, kBackoff).kind == Kind::kRedirect);
  a.redirects = HttpLimits::kMaxRedirects;
  s = NextStep(a, kLimits, kBackoff);
  REQUIRE(s.kind == Kind::kFail);
  CHECK(s.error.message() == "more than 5 redirects from https://cdn.example/a/b?x=1");
}

TEST_CASE("http policy: 429 and 5xx are retried after Retry-After or the backoff") {
  Step s = NextStep(Answer(503), kLimits, kBackoff);
  REQUIRE(s.kind == Kind::kRetry);
  CHECK(s.delay == kBackoff);

  Attempt a = Answer(429);
  a.retry_after_seconds = 7;
  s = NextStep(a, kLimits, kBackoff);
  REQUIRE(s.kind == Kind::kRetry);
  CHECK(s.delay == milliseconds(7000));

  a.retry_after_seconds = 3600;  // longer than we wait
  s = NextStep(a, kLimits, kBackoff);
  REQUIRE(s.kind == Kind::kFail);
  CHECK(s.error.code() == StatusCode::kResourceExhausted);
  CHECK(s.error.message() == "cdn.example asked to retry after 3600 s, more than we wait");
}

TEST_CASE("http policy: out of attempts, each failure gets its own code") {
  const int last = kLimits.max_attempts;
  Step s = NextStep(Answer(429, last), kLimits, kBackoff);
  CHECK(s.error.code() == StatusCode::kResourceExhausted);
  CHECK(s.error.message() == "rate limited (HTTP 429) by cdn.example after 4 attempts");
  s = NextStep(Answer(502, last), kLimits, kBackoff);
  CHECK(s.error.code() == StatusCode::kUnavailable);
  CHECK(s.error.message() == "HTTP 502 from cdn.example after 4 attempts");

  Attempt t = Answer(0, last);
  t.transport = Attempt::Transport::kTimedOut;
  CHECK(NextStep(t, kLimits, kBackoff).error.code() == StatusCode::kDeadlineExceeded);
  t.transport = Attempt::Transport::kCutShort;
  CHECK(NextStep(t, kLimits, kBackoff).error.code() == StatusCode::kDataLoss);
  t.transport = Attempt::Transport::kOtherError;
  t.transport_error = "Couldn't connect to server";
  s = NextStep(t, kLimits, kBackoff);
  CHECK(s.error.code() == StatusCode::kUnavailable);
  CHECK(s.error.message() ==
        "Couldn't connect to server fetching https://cdn.example/a/b?x=1 after 4 attempts");
}

TEST_CASE("http policy: transport errors are retried, except a URL curl cannot use") {
  Attempt t = Answer(0, 1);
  t.transport = Attempt::Transport::kOtherError;
  Step s = NextStep(t, kLimits, kBackoff);
  REQUIRE(s.kind == Kind::kRetry);
  CHECK(s.delay == kBackoff);
  t.transport = Attempt::Transport::kBadUrl;
  t.transport_error = "URL using bad/illegal format or missing URL";
  s = NextStep(t, kLimits, kBackoff);
  REQUIRE(s.kind == Kind::kFail);
  CHECK(s.error.code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace stillpost::fetcher::detail
