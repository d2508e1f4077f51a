// The HTML allowlist sanitiser and HTML -> text + entities: the output is valid UTF-8, holds
// nothing outside the allowlist, and sanitising it again changes nothing.
#include <utf8.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fetcher/html_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view html(reinterpret_cast<const char*>(data), size);
  const std::string safe = stillpost::fetcher::SanitizeHtml(html);
  if (!utf8::is_valid(safe.begin(), safe.end())) std::abort();
  for (const char* bad : {"<script", "<iframe", "<style", "<img", "<svg", "<template"}) {
    // An attribute or element the allowlist drops must not survive (in markup, not in text:
    // text is escaped, so a '<' there is "&lt;").
    if (safe.find(bad) != std::string::npos) std::abort();
  }
  if (stillpost::fetcher::SanitizeHtml(safe) != safe) std::abort();
  const auto rich = stillpost::fetcher::HtmlToRichText(safe);
  const auto length = static_cast<uint32_t>(utf8::distance(rich.text.begin(), rich.text.end()));
  for (const auto& e : rich.entities) {
    if (e.start() > e.end() || e.end() > length) std::abort();
  }
  return 0;
}
