// Single byte ranges (RFC 9110 14): what a Range header asks of a body of known size.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace stillpost::server::detail {

// "bytes=0-99" against a size: the [first, last] to serve; nullopt when unsatisfiable;
// {0, size-1} with `whole` set when the header is absent, malformed or names several ranges.
struct ByteRange {
  size_t first = 0;
  size_t last = 0;
  bool whole = true;
};
std::optional<ByteRange> ParseRange(std::string_view header, size_t size);

}  // namespace stillpost::server::detail
