// Jetstream: an event as the stream sends it (hostile bytes from a websocket), and the same
// bytes as rate-limit header values (Retry-After, a reset, what remains).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fetcher/rate_limit.h"
#include "service/jetstream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  int64_t time_us = 0;
  if (auto a = stillpost::service::ReadJetstreamEvent(text, &time_us)) {
    if (a->key.find('/', 5) == std::string_view::npos) __builtin_trap();  // bsky/DID/RKEY
  }
  const size_t third = size / 3;
  stillpost::fetcher::RateHeaders h;
  h.retry_after = std::string(text.substr(0, third));
  h.reset = std::string(text.substr(third, third));
  h.remaining = std::string(text.substr(2 * third));
  (void)stillpost::fetcher::WaitFromHeaders(h, 1'796'150'000'000'000);
  h.retry_after.clear();
  (void)stillpost::fetcher::WaitFromHeaders(h, 1'796'150'000'000'000);
  return 0;
}
