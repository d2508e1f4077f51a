// Request counts, latencies and bytes, rendered for /metrics in Prometheus' text format.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "archive/store.h"

namespace stillpost::server {

// Thread safety: Record() and Render() may be called from any thread. Every request records,
// on every server thread: each thread counts into its own cache-line-aligned slot (relaxed atomics
// that no other thread writes), and /metrics adds the slots up. A shared lock or shared counters
// here cost more than they count.
class Metrics {
 public:
  static constexpr double kBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1.0};
  static constexpr std::string_view kRoutes[] = {"embed",   "media",   "oembed", "api",
                                                 "archive", "jobs",    "seen",   "embed.js",
                                                 "healthz", "metrics", "home",   "other"};
  static constexpr int kStatuses[] = {200, 202, 206, 304, 400, 401, 403, 404, 405,
                                      409, 413, 416, 429, 431, 500, 501, 503, 504};
  void Record(std::string_view route, int status, double seconds, size_t bytes);
  // `extra`: more Prometheus text to append (the service's: jobs, seen pages).
  std::string Render(const archive::StoreStats& stats, std::string_view extra = {}) const;

 private:
  static constexpr size_t kSlots = 16;  // threads beyond this share slots (still correct)
  struct alignas(64) Slot {
    // [route][status], the last status slot counting any other status.
    std::atomic<uint64_t> requests[std::size(kRoutes)][std::size(kStatuses) + 1] = {};
    std::atomic<uint64_t> buckets[std::size(kBuckets)] = {};
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_micros{0};
    std::atomic<uint64_t> bytes{0};
  };
  Slot slots_[kSlots];
};

}  // namespace stillpost::server
