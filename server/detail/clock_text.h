// The server's clock as text, formatted at most once a second per thread (every response has a
// Date and every request an access line; strftime per request showed in profiles).
#pragma once

#include <ctime>
#include <string_view>

namespace stillpost::server::detail {

// The current UTC time in `Format` (a strftime format), cached per thread and per format.
template <const char* Format>
std::string_view UtcNowAs() {
  thread_local time_t last = 0;
  thread_local char text[48] = {};
  const time_t now = time(nullptr);
  if (now != last) {
    struct tm tm_utc;
    gmtime_r(&now, &tm_utc);
    strftime(text, sizeof text, Format, &tm_utc);
    last = now;
  }
  return text;
}

inline constexpr char kHttpDate[] = "%a, %d %b %Y %H:%M:%S GMT";  // RFC 9110 5.6.7
inline constexpr char kClfTime[] = "%d/%b/%Y:%H:%M:%S +0000";     // the Common Log Format

// "Tue, 01 Dec 2026 12:00:00 GMT" for the Date header.
inline std::string_view HttpDate() { return UtcNowAs<kHttpDate>(); }
// "01/Dec/2026:12:00:00 +0000" for the access log.
inline std::string_view ClfTime() { return UtcNowAs<kClfTime>(); }

}  // namespace stillpost::server::detail
