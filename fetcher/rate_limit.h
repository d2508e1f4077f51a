// Politeness toward each upstream host, shared by every fetch of a `serve` process: a token
// bucket per host (a rule per host pattern), waits that the host's own answers ask for (a 429's
// Retry-After, else its rate-limit reset header, else 60 s, then exponential backoff with jitter
// up to an hour), and a circuit that stays open for a while after three 429 or 403 answers in a
// row. HttpClient consults it before each request and tells it each answer (HttpOptions::limiter);
// the re-check scheduler asks it which hosts are ready before choosing posts.
//
// Hosts are the ones asked for (before --upstream rewriting), so a test's replay on 127.0.0.1
// is limited as the real hosts would be.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace stillpost::fetcher {

// Requests per second and the burst a host's bucket holds, for hosts matching `host`: a name
// ("mastodon.social"), "*.suffix" (any host under suffix) or "*" (any host).
struct BucketRule {
  std::string host;
  double per_second = 1;
  double burst = 5;
};

struct RateLimitOptions {
  // First match wins; DefaultBucketRules() after any the operator gives.
  std::vector<BucketRule> rules;
  std::chrono::seconds default_wait{60};  // a 429 that says nothing about when to come back
  std::chrono::seconds max_backoff{3600};
  int circuit_after = 3;  // 429/403 answers in a row that open a host's circuit
  std::chrono::seconds circuit_open_for{900};
};

// X syndication and oEmbed 1/s burst 5; the Bluesky AppView and PDSes 8/s burst 40 (they allow
// 3000 per 5 minutes); the networks' media CDNs 20/s burst 40; any other host — Mastodon
// instances (300 per 5 minutes, unauthenticated) and their media hosts — 0.9/s burst 30, which
// never exceeds 300 in any 5 minutes.
std::vector<BucketRule> DefaultBucketRules();

// "HOST=N/DURATION" or "HOST=N/DURATION,BURST" (--rate-limit mastodon.social=300/5m,30):
// InvalidArgument with what is wrong. Without a burst: a tenth of N (at least 1).
Result<BucketRule> ParseBucketRule(std::string_view text);

// What an answer said about the host's limits (header values as sent; empty when absent).
struct RateHeaders {
  std::string retry_after;  // Retry-After: seconds or an HTTP date
  std::string reset;        // X-RateLimit-Reset, x-rate-limit-reset or RateLimit-Reset
  std::string remaining;    // the matching *-Remaining
  bool empty() const { return retry_after.empty() && reset.empty() && remaining.empty(); }
};

// How long the headers ask a client to wait, from `now`: Retry-After (delta seconds or an HTTP
// date), else the reset time (an RFC 3339 time as Mastodon sends it, Unix seconds as X and
// Bluesky send it, or delta seconds as the IETF draft's RateLimit-Reset). Nullopt when they say
// nothing usable; never negative.
std::optional<std::chrono::milliseconds> WaitFromHeaders(const RateHeaders& headers,
                                                         UnixMicros now);

// Thread safety: every method may be called from any thread.
class HostLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit HostLimiter(RateLimitOptions options = {});

  enum class Verdict {
    kGo,    // a token was taken (Acquire) or is there (Ready)
    kWait,  // not before `until`
    kOpen,  // the circuit is open until `until`: do not ask at all
  };
  struct Gate {
    Verdict verdict = Verdict::kGo;
    Clock::time_point until{};
  };
  // Takes one token of `host`'s bucket when it may be asked now.
  Gate Acquire(std::string_view host);
  // Whether `tokens` requests could be sent to `host` now, without taking any; the whole
  // tokens available (0 when waiting or open).
  Gate Ready(std::string_view host) const;
  // Only whether the host is held (a 429's wait) or its circuit open; buckets aside.
  Gate Held(std::string_view host) const;
  int Available(std::string_view host) const;
  // An answer from `host`: a 429 holds the host for the wait its headers ask (or the backoff),
  // a 429/403 streak opens the circuit, any other answer closes it; a success that says no
  // requests remain holds the host until its reset. Returns the wait a 429 set (0 otherwise).
  std::chrono::milliseconds Observe(std::string_view host, long status, const RateHeaders& headers);

  struct HostStats {
    std::string host;
    double tokens = 0;
    double burst = 0;
    bool circuit_open = false;
    double held_seconds = 0;  // until the host may be asked again
    uint64_t requests = 0;
    uint64_t limited = 0;  // 429 answers
    uint64_t circuit_opened = 0;
  };
  std::vector<HostStats> Stats() const;

 private:
  struct Host {
    BucketRule rule;
    double tokens = 0;
    Clock::time_point refilled{};
    Clock::time_point held_until{};  // a 429's wait, or a reset with nothing remaining
    Clock::time_point open_until{};  // the circuit
    int streak = 0;                  // 429/403 answers in a row
    int limited_in_row = 0;          // 429 answers in a row (the backoff's exponent)
    uint64_t requests = 0;
    uint64_t limited = 0;
    uint64_t circuit_opened = 0;
  };
  Host& HostOf(std::string_view host) const;  // mu_ held
  static void Refill(Host& h, Clock::time_point now);

  RateLimitOptions options_;
  mutable std::mutex mu_;
  mutable std::map<std::string, Host, std::less<>> hosts_;
  std::mt19937 rng_{std::random_device{}()};
};

}  // namespace stillpost::fetcher
