// fetcher/rate_limit.h: the waits each platform's 429 asks for, bucket rules as the flag takes
// them, and a host's bucket, backoff and circuit.
#include "fetcher/rate_limit.h"

#include <catch2/catch.hpp>
#include <thread>

namespace stillpost::fetcher {
namespace {

using std::chrono::milliseconds;
constexpr UnixMicros kNow = 1'796'150'000'000'000;  // 2026-12-01T...Z, whole seconds

TEST_CASE("rate limits: the wait each platform's headers ask for") {
  // Retry-After in seconds and as an HTTP date (RFC 9110), which wins over any reset.
  CHECK(WaitFromHeaders({"3", "1796150999", ""}, kNow) == milliseconds(3000));
  RateHeaders date;
  date.retry_after = "Tue, 01 Dec 2026 19:33:30 GMT";  // kNow + 10 s
  CHECK(WaitFromHeaders(date, 1'796'153'600'000'000) == milliseconds(10'000));
  // Mastodon: X-RateLimit-Reset is an ISO 8601 time, to the millisecond.
  CHECK(WaitFromHeaders({"", "2026-12-01T18:33:22.500Z", "0"}, 1'796'150'000'000'000) ==
        milliseconds(2500));
  // Bluesky and X: Unix seconds.
  CHECK(WaitFromHeaders({"", "1796150060", "0"}, kNow) == milliseconds(60'000));
  // The IETF draft's RateLimit-Reset: seconds from now.
  CHECK(WaitFromHeaders({"", "42", ""}, kNow) == milliseconds(42'000));
  // A reset in the past is no wait; nothing usable is nullopt.
  CHECK(WaitFromHeaders({"", "1796149000", "0"}, kNow) == milliseconds(0));
  CHECK(!WaitFromHeaders({"", "", ""}, kNow));
  CHECK(!WaitFromHeaders({"soon", "later", ""}, kNow));
  // Hostile values ask for at most 30 days (found by the jetstream fuzz target: a reset of 16
  // digits overflowed when turned into microseconds).
  constexpr milliseconds kMonth(86'400'000LL * 30);
  CHECK(WaitFromHeaders({"", "1111111111111111", ""}, kNow) == kMonth);
  CHECK(WaitFromHeaders({"99999999999999999999", "", ""}, kNow) == std::nullopt);
  CHECK(WaitFromHeaders({"", "9999-12-31T23:59:59Z", ""}, kNow) == kMonth);
  CHECK(WaitFromHeaders({"Fri, 31 Dec 9999 23:59:59 GMT", "", ""}, kNow).value_or(kMonth) <=
        kMonth);
}

TEST_CASE("rate limits: --rate-limit rules") {
  auto r = ParseBucketRule("mastodon.social=300/5m,30");
  REQUIRE(r);
  CHECK(r->host == "mastodon.social");
  CHECK(r->per_second == Approx(1.0));
  CHECK(r->burst == 30);
  r = ParseBucketRule("*.sim.example=600/1m");
  REQUIRE(r);
  CHECK(r->per_second == Approx(10.0));
  CHECK(r->burst == 60);  // a tenth of N without a burst
  for (const char* bad : {"mastodon.social", "=1/1s", "h=0/1s", "h=1/1x", "h=1", "h=1/1s,0"}) {
    INFO(bad);
    auto b = ParseBucketRule(bad);
    REQUIRE(!b);
    CHECK(b.error().message().find("--rate-limit takes HOST=N/DURATION") == 0);
  }
}

TEST_CASE("rate limits: a bucket, a 429's hold and its backoff, a circuit that opens and closes") {
  RateLimitOptions o;
  o.rules = {{"slow.example", 1, 2}};
  o.default_wait = std::chrono::seconds(60);
  o.circuit_after = 3;
  o.circuit_open_for = std::chrono::seconds(1);
  HostLimiter limiter(o);
  // The burst, then a wait of about a second for the next token.
  CHECK(limiter.Acquire("slow.example").verdict == HostLimiter::Verdict::kGo);
  CHECK(limiter.Acquire("slow.example").verdict == HostLimiter::Verdict::kGo);
  auto gate = limiter.Acquire("slow.example");
  CHECK(gate.verdict == HostLimiter::Verdict::kWait);
  CHECK(gate.until - HostLimiter::Clock::now() > milliseconds(800));
  // Other hosts take the defaults: Mastodon's 0.9/s with a burst of 30.
  CHECK(limiter.Available("mastodon.social") == 30);
  // A 429 with no word of when: the default wait; the next in a row: at least double (jittered
  // between half and all of 120 s, never under the default).
  CHECK(limiter.Observe("other.example", 429, {}) == milliseconds(60'000));
  const auto second = limiter.Observe("other.example", 429, {});
  CHECK(second >= milliseconds(60'000));
  CHECK(second <= milliseconds(120'000));
  CHECK(limiter.Ready("other.example").verdict == HostLimiter::Verdict::kWait);
  // The third 429 or 403 in a row opens the circuit; it closes after circuit_open_for, and a
  // success resets the streak.
  CHECK(limiter.Observe("other.example", 403, {}) == milliseconds(0));
  CHECK(limiter.Ready("other.example").verdict == HostLimiter::Verdict::kOpen);
  CHECK(limiter.Held("other.example").verdict == HostLimiter::Verdict::kOpen);
  auto stats = limiter.Stats();
  auto other = std::find_if(stats.begin(), stats.end(),
                            [](const auto& s) { return s.host == "other.example"; });
  REQUIRE(other != stats.end());
  CHECK(other->circuit_open);
  CHECK(other->circuit_opened == 1);
  CHECK(other->limited == 2);
  // A success that says nothing remains holds the host until the reset.
  limiter.Observe("reset.example", 200, {"", "30", "0"});
  gate = limiter.Ready("reset.example");
  CHECK(gate.verdict == HostLimiter::Verdict::kWait);
  CHECK(gate.until - HostLimiter::Clock::now() > std::chrono::seconds(29));
  limiter.Observe("fine.example", 200, {"", "30", "12"});
  CHECK(limiter.Ready("fine.example").verdict == HostLimiter::Verdict::kGo);
}

}  // namespace
}  // namespace stillpost::fetcher
