#include "server/detail/range.h"

#include <algorithm>
#include <charconv>

#include "common/numbers.h"

namespace stillpost::server::detail {

std::optional<ByteRange> ParseRange(std::string_view h, size_t size) {
  ByteRange whole{0, size == 0 ? 0 : size - 1, true};
  if (h.empty() || h.rfind("bytes=", 0) != 0 || h.find(',') != std::string_view::npos) return whole;
  std::string_view spec = h.substr(6);
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  auto num = [](std::string_view s, size_t& out) {
    const auto n = s.size() <= 18 ? ParseDigits(s) : std::nullopt;
    if (n) out = static_cast<size_t>(*n);
    return n.has_value();
  };
  size_t a = 0, b = 0;
  const std::string_view left = spec.substr(0, dash), right = spec.substr(dash + 1);
  if (left.empty()) {                  // the last b bytes
    if (!num(right, b)) return whole;  // malformed: ignored (RFC 9110 14.2)
    if (b == 0 || size == 0) return std::nullopt;
    return ByteRange{b >= size ? 0 : size - b, size - 1, false};
  }
  if (!num(left, a)) return whole;
  if (a >= size) return std::nullopt;
  if (right.empty()) return ByteRange{a, size - 1, false};
  if (!num(right, b) || b < a) return whole;
  return ByteRange{a, std::min(b, size - 1), false};
}

}  // namespace stillpost::server::detail
