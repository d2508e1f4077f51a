// Mastodon: a Status (its content HTML through the allowlist) mapped to a Post, then rendered.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fetcher/mastodon/mastodon.h"
#include "tests/fuzz/fuzz_post.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto mapped = stillpost::fetcher::mastodon::MapStatus(body, "mastodon.social");
  if (mapped) stillpost::fuzz::Exercise(*mapped);
  (void)stillpost::fetcher::mastodon::TombstoneFor(404, body);
  return 0;
}
