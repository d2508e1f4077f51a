#include "fetcher/rate_limit.h"

#include <curl/curl.h>

#include <algorithm>
#include <boost/algorithm/string/classification.hpp>
#include <boost/algorithm/string/trim.hpp>
#include <cmath>

#include "common/numbers.h"
#include "common/web.h"

namespace stillpost::fetcher {
namespace {

using std::chrono::milliseconds;

// Unix seconds are this large (2001 onwards); a smaller number is a count of seconds from now.
constexpr uint64_t kEpochSecondsFloor = 1'000'000'000;

bool Matches(std::string_view pattern, std::string_view host) {
  if (pattern == "*") return true;
  if (pattern.starts_with("*.")) return HostIsOrUnder(host, pattern.substr(2));
  return pattern == host;
}

std::string_view Trim(std::string_view s) {
  return boost::algorithm::trim_copy_if(s, boost::algorithm::is_any_of(" \t"));
}

}  // namespace

std::vector<BucketRule> DefaultBucketRules() {
  return {
      {"cdn.syndication.twimg.com", 1, 5},
      {"publish.twitter.com", 1, 5},
      {"public.api.bsky.app", 8, 40},
      {"*.bsky.network", 8, 40},
      {"plc.directory", 8, 40},
      {"pbs.twimg.com", 20, 40},
      {"video.twimg.com", 20, 40},
      {"cdn.bsky.app", 20, 40},
      {"video.bsky.app", 20, 40},
      {"*", 0.9, 30},
  };
}

Result<BucketRule> ParseBucketRule(std::string_view text) {
  const auto fail = [&](const std::string& why) {
    return InvalidArgumentError(
        "--rate-limit takes HOST=N/DURATION[,BURST] (like "
        "mastodon.social=300/5m,30): '" +
        std::string(text) + "' " + why);
  };
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) return fail("names no host");
  BucketRule rule;
  rule.host = std::string(Trim(text.substr(0, eq)));
  std::string_view rest = text.substr(eq + 1);
  std::string_view burst;
  if (const size_t comma = rest.find(','); comma != std::string_view::npos) {
    burst = Trim(rest.substr(comma + 1));
    rest = rest.substr(0, comma);
  }
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return fail("has no /DURATION");
  const auto n = ParseDigits(Trim(rest.substr(0, slash)));
  if (!n || *n == 0) return fail("needs a request count of 1 or more");
  const auto seconds = DurationSeconds(Trim(rest.substr(slash + 1)));
  if (!seconds || *seconds <= 0) return fail("needs a duration like 5m");
  rule.per_second = static_cast<double>(*n) / static_cast<double>(*seconds);
  rule.burst = std::max(1.0, std::floor(static_cast<double>(*n) / 10));
  if (!burst.empty()) {
    const auto b = ParseDigits(burst);
    if (!b || *b == 0) return fail("needs a burst of 1 or more");
    rule.burst = static_cast<double>(*b);
  }
  return rule;
}

std::optional<milliseconds> WaitFromHeaders(const RateHeaders& headers, UnixMicros now) {
  // No header may ask for more than 30 days (a hostile or broken value: "until 9999" or digits
  // past int64), and none for less than nothing.
  constexpr int64_t kMaxWaitSeconds = 86'400 * 30;
  const auto seconds_from_now = [](uint64_t seconds) {
    return milliseconds(static_cast<int64_t>(std::min<uint64_t>(seconds, kMaxWaitSeconds)) * 1000);
  };
  const auto until_unix_seconds = [now](uint64_t at) {
    const int64_t now_s = now / 1'000'000;
    const uint64_t cap = static_cast<uint64_t>(std::max<int64_t>(0, now_s) + kMaxWaitSeconds);
    const int64_t at_micros = static_cast<int64_t>(std::min(at, cap)) * 1'000'000;
    return milliseconds(
        std::clamp<int64_t>((at_micros - now + 999) / 1000, 0, kMaxWaitSeconds * 1000));
  };
  if (const std::string_view v = Trim(headers.retry_after); !v.empty()) {
    if (const auto seconds = ParseDigits(v)) return seconds_from_now(*seconds);
    const std::string date(v);
    if (const time_t at = curl_getdate(date.c_str(), nullptr); at >= 0) {
      return until_unix_seconds(static_cast<uint64_t>(at));
    }
  }
  if (const std::string_view v = Trim(headers.reset); !v.empty()) {
    if (const auto number = ParseDigits(v)) {
      return *number >= kEpochSecondsFloor ? until_unix_seconds(*number)
                                           : seconds_from_now(*number);
    }
    if (auto at = ParseTime(v)) {
      // RFC 3339 times are held to years 1-9999 by ParseTime: at - now cannot overflow.
      return milliseconds(std::clamp<int64_t>((*at - now + 999) / 1000, 0, kMaxWaitSeconds * 1000));
    }
  }
  return std::nullopt;
}

HostLimiter::HostLimiter(RateLimitOptions options) : options_(std::move(options)) {
  if (options_.rules.empty() || options_.rules.back().host != "*") {
    for (auto& rule : DefaultBucketRules()) options_.rules.push_back(std::move(rule));
  }
}

HostLimiter::Host& HostLimiter::HostOf(std::string_view host) const {
  auto it = hosts_.find(host);
  if (it != hosts_.end()) return it->second;
  Host h;
  for (const auto& rule : options_.rules) {
    if (Matches(rule.host, host)) {
      h.rule = rule;
      break;
    }
  }
  h.tokens = h.rule.burst;
  h.refilled = Clock::now();
  return hosts_.emplace(std::string(host), std::move(h)).first->second;
}

void HostLimiter::Refill(Host& h, Clock::time_point now) {
  const double elapsed = std::chrono::duration<double>(now - h.refilled).count();
  if (elapsed > 0) {
    h.tokens = std::min(h.rule.burst, h.tokens + elapsed * h.rule.per_second);
    h.refilled = now;
  }
}

HostLimiter::Gate HostLimiter::Ready(std::string_view host) const {
  std::lock_guard<std::mutex> lock(mu_);
  Host& h = HostOf(host);
  const auto now = Clock::now();
  Refill(h, now);
  if (h.open_until > now) return {Verdict::kOpen, h.open_until};
  if (h.held_until > now) return {Verdict::kWait, h.held_until};
  if (h.tokens >= 1) return {Verdict::kGo, now};
  const auto missing = std::chrono::duration<double>((1 - h.tokens) / h.rule.per_second);
  return {Verdict::kWait, now + std::chrono::duration_cast<Clock::duration>(missing)};
}

HostLimiter::Gate HostLimiter::Held(std::string_view host) const {
  std::lock_guard<std::mutex> lock(mu_);
  Host& h = HostOf(host);
  const auto now = Clock::now();
  if (h.open_until > now) return {Verdict::kOpen, h.open_until};
  if (h.held_until > now) return {Verdict::kWait, h.held_until};
  h.requests++;
  return {Verdict::kGo, now};
}

int HostLimiter::Available(std::string_view host) const {
  if (Ready(host).verdict != Verdict::kGo) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(std::floor(HostOf(host).tokens));
}

HostLimiter::Gate HostLimiter::Acquire(std::string_view host) {
  Gate gate = Ready(host);
  if (gate.verdict != Verdict::kGo) return gate;
  std::lock_guard<std::mutex> lock(mu_);
  Host& h = HostOf(host);
  if (h.tokens < 1) {
    const auto missing = std::chrono::duration<double>((1 - h.tokens) / h.rule.per_second);
    return {Verdict::kWait, Clock::now() + std::chrono::duration_cast<Clock::duration>(missing)};
  }
  h.tokens -= 1;
  h.requests++;
  return gate;
}

milliseconds HostLimiter::Observe(std::string_view host, long status, const RateHeaders& headers) {
  std::lock_guard<std::mutex> lock(mu_);
  Host& h = HostOf(host);
  const auto now = Clock::now();
  const auto asked = WaitFromHeaders(headers, NowMicros());
  if (status == 429 || status == 403) {
    h.streak++;
    if (h.streak >= options_.circuit_after) {
      if (h.open_until <= now) h.circuit_opened++;
      h.open_until = now + options_.circuit_open_for;
    }
  } else {
    h.streak = 0;
  }
  if (status != 429) {
    h.limited_in_row = 0;
    // A success that used the last request of the window: wait for its reset.
    if (asked && Trim(headers.remaining) == "0")
      h.held_until = std::max(h.held_until, now + *asked);
    return milliseconds(0);
  }
  h.limited++;
  h.limited_in_row++;
  // The host's own word first, else the default; each further 429 in a row waits at least
  // default_wait doubled per 429, with "equal jitter" (half fixed, half random), up to
  // max_backoff.
  milliseconds wait = asked.value_or(options_.default_wait);
  if (h.limited_in_row > 1) {
    const int64_t cap = std::chrono::duration_cast<milliseconds>(options_.max_backoff).count();
    const int64_t base = std::chrono::duration_cast<milliseconds>(options_.default_wait).count();
    const int64_t exp = std::min<int64_t>(cap, base << std::min(h.limited_in_row - 1, 16));
    std::uniform_int_distribution<int64_t> jitter(0, exp / 2);
    wait = std::max(wait, milliseconds(exp / 2 + jitter(rng_)));
  }
  h.held_until = std::max(h.held_until, now + wait);
  h.tokens = 0;
  return wait;
}

std::vector<HostLimiter::HostStats> HostLimiter::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<HostStats> out;
  const auto now = Clock::now();
  for (auto& [name, h] : hosts_) {
    Refill(h, now);
    HostStats s;
    s.host = name;
    s.tokens = h.tokens;
    s.burst = h.rule.burst;
    s.circuit_open = h.open_until > now;
    const auto held = std::max(h.held_until, h.open_until);
    s.held_seconds = held > now ? std::chrono::duration<double>(held - now).count() : 0;
    s.requests = h.requests;
    s.limited = h.limited;
    s.circuit_opened = h.circuit_opened;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace stillpost::fetcher
