// The schema's times (google.protobuf.Timestamp) as stillpost's UnixMicros and back, and as
// RFC 3339 text: one definition for every folder. Thread safety: pure functions.
#pragma once

#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/time_util.h>

#include <string>

#include "common/time.h"

namespace stillpost::proto {

inline UnixMicros MicrosOf(const google::protobuf::Timestamp& ts) {
  return google::protobuf::util::TimeUtil::TimestampToMicroseconds(ts);
}

// Clamped to what a Timestamp can hold (years 1-9999): TimeUtil aborts the process on a time
// outside that range.
inline google::protobuf::Timestamp TimestampOf(UnixMicros t) {
  if (!InTimeRange(t)) t = t < 0 ? -62'135'596'800'000'000 : 253'402'300'799'000'000;
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(t);
}

// "2017-07-07T15:51:00Z" (FormatRfc3339 of the Timestamp).
inline std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  return FormatRfc3339(MicrosOf(ts));
}

}  // namespace stillpost::proto
