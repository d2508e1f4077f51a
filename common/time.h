// Times in stillpost are microseconds since the Unix epoch, UTC (UnixMicros), written as
// RFC 3339 ("2017-07-07T15:51:00Z", with a fraction only when there is one).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace stillpost {

using UnixMicros = int64_t;

UnixMicros NowMicros();

// "2017-07-07T15:51:00Z"; "2017-07-07T15:51:00.250Z" / ".000250Z" when the time has a fraction.
std::string FormatRfc3339(UnixMicros t);

// "2017-07-07" (for "Archived <date>" lines).
std::string FormatDate(UnixMicros t);

// Accepts RFC 3339 with 'Z' or a ±HH:MM offset and up to 9 fractional digits (kept to the
// microsecond), or a bare count of microseconds since the epoch. InvalidArgument otherwise.
Result<UnixMicros> ParseTime(std::string_view text);

}  // namespace stillpost
