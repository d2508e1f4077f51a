// Our microsecond times as protobuf Timestamps, for the adapters and the archiver.
// Private to fetcher/.
#pragma once

#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/time_util.h>

#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"
#include "proto/time.h"

namespace stillpost::fetcher::detail {

// ParseTime gives only times a Timestamp can hold; anything else is clamped rather than handed
// to TimeUtil, which aborts the process on a time outside years 1-9999.
inline google::protobuf::Timestamp Ts(UnixMicros t) { return proto::TimestampOf(t); }

// An upstream time as a Timestamp; one that is malformed or out of range is dropped (nullopt)
// and said in `notes` ("created_at '...' dropped (out of range)"), so the post is kept without it.
inline std::optional<google::protobuf::Timestamp> TimeFrom(std::string_view text,
                                                           std::string_view field,
                                                           std::string& notes) {
  if (text.empty()) return std::nullopt;
  auto t = ParseTime(text);
  if (t) return Ts(*t);
  if (!notes.empty()) notes += "; ";
  notes += std::string(field) + " '" + std::string(text.substr(0, 40)) + "' dropped (" +
           (t.error().message().find("out of range") != std::string::npos ? "out of range"
                                                                          : "malformed") +
           ")";
  return std::nullopt;
}

}  // namespace stillpost::fetcher::detail
