// How service/ lays its records out in the store's service records (archive::Store::
// WriteService). Private to service/. Prefixes are stored: never rename one.
#pragma once

#include <boost/endian/conversion.hpp>
#include <cstdint>
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
// ChangeEvent under 16 hex digits of ~time (newest first), then its 8 random hex digits.
inline constexpr std::string_view kEventPrefix = "event/";
inline constexpr std::string_view kOutboxPrefix = "outbox/";        // event id/INDEX -> Delivery
inline constexpr std::string_view kJetstreamPrefix = "jetstream/";  // URL -> JetstreamState

// The schedule's column family (archive::Records::kSchedule), two lanes scanned in order:
//   'c' BE64(due µs) post-key   -> ScheduleEntry: urgent (confirmations, Jetstream's asks)
//   'd' BE64(due µs) post-key   -> ScheduleEntry: routine re-checks
//   'k' post-key                -> the post's entry's key, to find it
inline constexpr char kUrgentMark = 'c';
inline constexpr char kDueMark = 'd';
inline constexpr char kPostMark = 'k';

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
inline std::string EventKey(uint64_t inverted_time, std::string_view random_hex) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(inverted_time));
  return (std::string(kEventPrefix) += hex) += random_hex;
}
inline std::string OutboxKey(std::string_view event_id, size_t index) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%08zx", index);
  return ((std::string(kOutboxPrefix) += event_id) += '/') += hex;
}
inline std::string JetstreamKey(std::string_view url) {
  return std::string(kJetstreamPrefix) += url;
}

// A big-endian 64-bit number (Boost.Endian), so keys sort by it.
inline void AppendBigEndian64(std::string& out, uint64_t v) {
  unsigned char bytes[8];
  boost::endian::store_big_u64(bytes, v);
  out.append(reinterpret_cast<const char*>(bytes), sizeof bytes);
}
// The number at the start of `in`; 0 when `in` is shorter than 8 bytes.
inline uint64_t ReadBigEndian64(std::string_view in) {
  if (in.size() < 8) return 0;
  return boost::endian::load_big_u64(reinterpret_cast<const unsigned char*>(in.data()));
}
inline std::string DueKey(int64_t due_micros, std::string_view post_key, char lane) {
  std::string k(1, lane);
  AppendBigEndian64(k, static_cast<uint64_t>(due_micros));
  return k += post_key;
}
inline std::string PostScheduleKey(std::string_view post_key) {
  return std::string(1, kPostMark) += post_key;
}

}  // namespace stillpost::service
