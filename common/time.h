// Times in stillpost are microseconds since the Unix epoch, UTC (UnixMicros), written as
// RFC 3339 ("2017-07-07T15:51:00Z", with a fraction only when there is one).
// Thread safety: every function may be called from any thread (NowMicros reads the clock; the
// rest are pure).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace stillpost {

using UnixMicros = int64_t;

UnixMicros NowMicros();

// "2017-07-07T15:51:00Z"; "2017-07-07T15:51:00.250Z" / ".000250Z" when the time has a fraction.
std::string FormatRfc3339(UnixMicros t);

// "Fri, 07 Jul 2017 15:51:00 GMT" (RFC 9110 HTTP-date; Memento-Datetime), to the second.
std::string FormatHttpDate(UnixMicros t);
// An HTTP-date in its preferred form (what Accept-Datetime carries). InvalidArgument otherwise.
Result<UnixMicros> ParseHttpDate(std::string_view text);

// "2017-07-07" (for "Archived <date>" lines).
std::string FormatDate(UnixMicros t);

// Accepts RFC 3339 with 'Z' or a ±HH:MM offset and up to 9 fractional digits (kept to the
// microsecond), or a bare count of microseconds since the epoch. InvalidArgument otherwise:
// malformed, an impossible date (2024-02-30), or a time outside 0001-01-01T00:00:00Z ..
// 9999-12-31T23:59:59.999999Z (what a protobuf Timestamp can hold) once in UTC.
Result<UnixMicros> ParseTime(std::string_view text);

// "90s", "10m", "6h", "30d" as seconds: digits then s, m, h or d; nullopt otherwise.
std::optional<int64_t> DurationSeconds(std::string_view text);

// Whether `t` lies in the range ParseTime accepts (and protobuf's Timestamp can hold).
bool InTimeRange(UnixMicros t);

}  // namespace stillpost
