// How service/ lays its records out in the store's service records (archive::Store::
// WriteService). Private to service/. Prefixes are stored: never rename one.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace stillpost::service {

inline constexpr std::string_view kJobPrefix = "job/";            // job id -> Job
inline constexpr std::string_view kQueuePrefix = "jobq/";         // id -> "" while unfinished
inline constexpr std::string_view kOutcomePrefix = "jobo/";       // id/INDEX -> JobOutcome
inline constexpr std::string_view kFeedPrefix = "feed/";          // feed URL -> FeedState
inline constexpr std::string_view kFeedSeenPrefix = "feedseen/";  // article URL -> feed URL
inline constexpr std::string_view kSeenPagePrefix = "seenpage/";  // page URL -> µs accepted

inline std::string JobKey(std::string_view id) { return std::string(kJobPrefix) += id; }
inline std::string QueueKey(std::string_view id) { return std::string(kQueuePrefix) += id; }
inline std::string OutcomesPrefix(std::string_view id) {
  return (std::string(kOutcomePrefix) += id) += '/';
}
// Eight hex digits, so a job's outcomes sort in order.
inline std::string OutcomeKey(std::string_view id, size_t index) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08zx", index);
  return OutcomesPrefix(id) += hex;
}
inline std::string FeedKey(std::string_view url) { return std::string(kFeedPrefix) += url; }
inline std::string FeedSeenKey(std::string_view url) { return std::string(kFeedSeenPrefix) += url; }
inline std::string SeenPageKey(std::string_view url) { return std::string(kSeenPagePrefix) += url; }

}  // namespace stillpost::service
