// Our microsecond times as protobuf Timestamps, for the adapters and the archiver.
// Private to fetcher/.
#pragma once

#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/time_util.h>

#include "common/time.h"

namespace stillpost::fetcher::detail {

inline google::protobuf::Timestamp Ts(UnixMicros t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(t);
}

}  // namespace stillpost::fetcher::detail
