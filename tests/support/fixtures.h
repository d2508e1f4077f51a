// Fixture loading and code-point slicing for tests.
#pragma once

#include <utf8.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace stillpost::testing {

// The bytes of tests/fixtures/<relative>.
inline std::string Fixture(const std::string& relative) {
  std::ifstream in(std::string(STILLPOST_FIXTURES) + "/" + relative, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + relative);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// text[start, end) counted in Unicode code points.
inline std::string Slice(const std::string& text, uint32_t start, uint32_t end) {
  std::u32string cps;
  utf8::utf8to32(text.begin(), text.end(), std::back_inserter(cps));
  if (end > cps.size() || start > end) return "<out of range>";
  std::string out;
  utf8::utf32to8(cps.begin() + start, cps.begin() + end, std::back_inserter(out));
  return out;
}

}  // namespace stillpost::testing
