#include "server/metrics.h"

#include <array>
#include <cstdio>

namespace stillpost::server {

void Metrics::Record(std::string_view route, int status, double seconds, size_t bytes) {
  static std::atomic<size_t> next_slot{0};
  thread_local const size_t mine = next_slot.fetch_add(1) % kSlots;
  Slot& slot = slots_[mine];
  size_t r = std::size(kRoutes) - 1;
  for (size_t i = 0; i < std::size(kRoutes); ++i) {
    if (kRoutes[i] == route) r = i;
  }
  // A status's slot by table (every request records: no search through kStatuses).
  static constexpr auto kSlotOfStatus = [] {
    std::array<uint8_t, 600> t{};
    t.fill(static_cast<uint8_t>(std::size(kStatuses)));
    for (size_t i = 0; i < std::size(kStatuses); ++i) {
      t[static_cast<size_t>(kStatuses[i])] = static_cast<uint8_t>(i);
    }
    return t;
  }();
  const size_t st = status >= 0 && status < static_cast<int>(kSlotOfStatus.size())
                        ? kSlotOfStatus[static_cast<size_t>(status)]
                        : std::size(kStatuses);
  constexpr auto relaxed = std::memory_order_relaxed;
  slot.requests[r][st].fetch_add(1, relaxed);
  for (size_t i = 0; i < std::size(kBuckets); ++i) {
    if (seconds <= kBuckets[i]) slot.buckets[i].fetch_add(1, relaxed);
  }
  slot.count.fetch_add(1, relaxed);
  slot.sum_micros.fetch_add(static_cast<uint64_t>(seconds * 1e6), relaxed);
  slot.bytes.fetch_add(bytes, relaxed);
}

std::string Metrics::Render(const archive::StoreStats& stats, std::string_view extra) const {
  auto total = [this](auto field) {
    uint64_t n = 0;
    for (const Slot& s : slots_) n += field(s).load(std::memory_order_relaxed);
    return n;
  };
  std::string out =
      "# HELP stillpost_requests_total HTTP requests by route and status.\n"
      "# TYPE stillpost_requests_total counter\n";
  for (size_t r = 0; r < std::size(kRoutes); ++r) {
    for (size_t st = 0; st <= std::size(kStatuses); ++st) {
      const uint64_t n = total([&](const Slot& s) -> const auto& { return s.requests[r][st]; });
      if (n == 0) continue;
      out += "stillpost_requests_total{route=\"" + std::string(kRoutes[r]) + "\",status=\"" +
             (st < std::size(kStatuses) ? std::to_string(kStatuses[st]) : std::string("other")) +
             "\"} " + std::to_string(n) + "\n";
    }
  }
  const uint64_t count = total([](const Slot& s) -> const auto& { return s.count; });
  out +=
      "# HELP stillpost_request_seconds Time to answer a request.\n"
      "# TYPE stillpost_request_seconds histogram\n";
  char buf[128];
  for (size_t i = 0; i < std::size(kBuckets); ++i) {
    std::snprintf(buf, sizeof buf, "stillpost_request_seconds_bucket{le=\"%g\"} %llu\n",
                  kBuckets[i],
                  static_cast<unsigned long long>(
                      total([&](const Slot& s) -> const auto& { return s.buckets[i]; })));
    out += buf;
  }
  out += "stillpost_request_seconds_bucket{le=\"+Inf\"} " + std::to_string(count) + "\n";
  std::snprintf(
      buf, sizeof buf, "stillpost_request_seconds_sum %.6f\n",
      static_cast<double>(total([](const Slot& s) -> const auto& { return s.sum_micros; })) / 1e6);
  out += buf;
  out += "stillpost_request_seconds_count " + std::to_string(count) + "\n";
  out += "# TYPE stillpost_response_bytes_total counter\nstillpost_response_bytes_total " +
         std::to_string(total([](const Slot& s) -> const auto& { return s.bytes; })) + "\n";
  out += "# TYPE stillpost_store_posts gauge\nstillpost_store_posts " +
         std::to_string(stats.posts) + "\n";
  out += "# TYPE stillpost_store_captures gauge\nstillpost_store_captures " +
         std::to_string(stats.captures) + "\n";
  out += "# TYPE stillpost_store_blobs gauge\nstillpost_store_blobs " +
         std::to_string(stats.blobs) + "\n";
  out += "# TYPE stillpost_store_disk_bytes gauge\nstillpost_store_disk_bytes " +
         std::to_string(stats.disk_bytes) + "\n";
  out += extra;
  return out;
}

}  // namespace stillpost::server
