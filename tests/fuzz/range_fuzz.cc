// Range headers: a range given is inside the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/detail/range.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t body = (size_t{data[0]} << 8 | data[1]) % 5000;
  const std::string_view header(reinterpret_cast<const char*>(data) + 2, size - 2);
  auto r = stillpost::server::detail::ParseRange(header, body);
  if (!r) return 0;
  if (r->whole) return 0;
  if (r->first > r->last || r->last >= body) std::abort();
  return 0;
}
