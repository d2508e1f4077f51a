// Decimal numbers as people and upstreams write them, parsed without exceptions.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace stillpost {

// `s` when it is nothing but ASCII digits and fits in a uint64_t; nullopt otherwise (empty, a
// sign, a space, an overflow).
inline std::optional<uint64_t> ParseDigits(std::string_view s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

}  // namespace stillpost
