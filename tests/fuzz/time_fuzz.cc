// Time parsing: whatever parses is in range, and formats back to the same instant.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/time.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto t = stillpost::ParseTime(text);
  if (!t) return 0;
  if (!stillpost::InTimeRange(*t)) std::abort();
  auto again = stillpost::ParseTime(stillpost::FormatRfc3339(*t));
  if (!again || *again != *t) std::abort();
  return 0;
}
