#include "common/time.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/numbers.h"

namespace stillpost {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
// What a protobuf Timestamp can hold (0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z), and so
// what a stored time may be: outside it protobuf's TimeUtil aborts the process.
constexpr int64_t kMinSeconds = -62'135'596'800;
constexpr int64_t kMaxSeconds = 253'402'300'799;

bool ParseDigits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

Status BadTime(std::string_view text) {
  return InvalidArgumentError(
      "malformed time '" + std::string(text) +
      "' (expected RFC 3339 such as 2017-07-07T15:51:00Z, or microseconds)");
}

}  // namespace

UnixMicros NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// Writes `value` as exactly `width` decimal digits (zero-padded) at `out`.
char* Digits(char* out, long long value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out + width;
}

}  // namespace

// By hand rather than with snprintf: every embed page formats a few of these, and printf's
// format parsing was a visible share of serving one (bench/serve profile).
std::string FormatRfc3339(UnixMicros t) {
  using namespace std::chrono;
  const sys_time<microseconds> tp{microseconds{t}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss<microseconds> hms{tp - day};
  char buf[40];
  char* p = buf;
  const int year = int(ymd.year());
  if (year < 0 || year > 9999) {
    p += std::snprintf(p, 12, "%d", year);  // outside RFC 3339's range: still legible
  } else {
    p = Digits(p, year, 4);
  }
  *p++ = '-';
  p = Digits(p, unsigned(ymd.month()), 2);
  *p++ = '-';
  p = Digits(p, unsigned(ymd.day()), 2);
  *p++ = 'T';
  p = Digits(p, hms.hours().count(), 2);
  *p++ = ':';
  p = Digits(p, hms.minutes().count(), 2);
  *p++ = ':';
  p = Digits(p, static_cast<long long>(hms.seconds().count()), 2);
  const auto frac = hms.subseconds().count();
  if (frac != 0) {
    *p++ = '.';
    p = frac % 1000 == 0 ? Digits(p, frac / 1000, 3) : Digits(p, frac, 6);
  }
  *p++ = 'Z';
  return std::string(buf, static_cast<size_t>(p - buf));
}

std::string FormatDate(UnixMicros t) { return FormatRfc3339(t).substr(0, 10); }

bool InTimeRange(UnixMicros t) {
  return t >= kMinSeconds * kMicrosPerSecond && t <= kMaxSeconds * kMicrosPerSecond + 999'999;
}

Result<UnixMicros> ParseTime(std::string_view s) {
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos) {
    UnixMicros v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || !InTimeRange(v)) {
      return InvalidArgumentError("time '" + std::string(s) +
                                  "' is out of range (microseconds up to year 9999)");
    }
    return v;
  }
  int year, month, day, hour, minute, second;
  if (!ParseDigits(s, 0, 4, year) || s.size() < 20 || s[4] != '-' || !ParseDigits(s, 5, 2, month) ||
      s[7] != '-' || !ParseDigits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !ParseDigits(s, 11, 2, hour) || s[13] != ':' || !ParseDigits(s, 14, 2, minute) ||
      s[16] != ':' || !ParseDigits(s, 17, 2, second)) {
    return BadTime(s);
  }
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) {
    return BadTime(s);
  }
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return BadTime(s);
  size_t pos = 19;
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t digits = 0;
    int64_t scale = 100000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 6) {
        micros += (s[pos] - '0') * scale;
        scale /= 10;
      }
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return BadTime(s);
  }
  int64_t offset_seconds = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!ParseDigits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ParseDigits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return BadTime(s);
    }
    offset_seconds = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return BadTime(s);
  }
  if (pos != s.size()) return BadTime(s);
  const int64_t days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  if (secs < kMinSeconds || secs > kMaxSeconds) {
    return InvalidArgumentError("time '" + std::string(s) +
                                "' is out of range (years 0001 to 9999, in UTC)");
  }
  return secs * kMicrosPerSecond + micros;
}

std::optional<int64_t> DurationSeconds(std::string_view text) {
  if (text.size() < 2 || text.size() > 10) return std::nullopt;
  const char unit = text.back();
  const int64_t mult = unit == 's'   ? 1
                       : unit == 'm' ? 60
                       : unit == 'h' ? 3600
                       : unit == 'd' ? 86400
                                     : 0;
  const auto n = ParseDigits(text.substr(0, text.size() - 1));
  if (mult == 0 || !n) return std::nullopt;
  return static_cast<int64_t>(*n) * mult;
}

}  // namespace stillpost

namespace stillpost {

std::string FormatHttpDate(UnixMicros t) {
  std::time_t s = static_cast<std::time_t>(t / 1'000'000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char text[40];
  const size_t n = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(text, n);
}

Result<UnixMicros> ParseHttpDate(std::string_view text) {
  const std::string s(text);
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') {
    return InvalidArgumentError("not an HTTP date (Tue, 01 Dec 2026 12:00:00 GMT): " + s);
  }
  return static_cast<UnixMicros>(timegm(&tm)) * 1'000'000;
}

}  // namespace stillpost
