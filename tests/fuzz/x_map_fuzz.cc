// X: a syndication answer (tweet-result JSON) mapped to a Post, then rendered.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fetcher/x/x.h"
#include "tests/fuzz/fuzz_post.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto mapped = stillpost::fetcher::x::MapTweetResult(body);
  if (mapped) stillpost::fuzz::Exercise(*mapped);
  return 0;
}
