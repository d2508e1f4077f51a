// Small web helpers every layer needs the same way: which URLs may become links, a URL's host,
// and HTML escaping. One definition, used by fetcher/ (the sanitiser, the adapters) and embed/.
// Thread safety: pure functions (no state, no I/O); call them from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace stillpost {

// An absolute http or https URL with a host (the only URLs that become links anywhere).
bool IsHttpUrl(std::string_view url);

// Whether `s` is all ASCII, eight bytes at a time: most text is, and then it is valid UTF-8
// without utfcpp's byte-by-byte walk (which was a visible share of rendering an embed).
inline bool IsAscii(std::string_view s) {
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    if ((word & 0x8080808080808080ULL) != 0) return false;
  }
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0x80) != 0) return false;
  }
  return true;
}

// `text` when it is valid UTF-8 (checked quickly for ASCII), else a copy in `storage` with each
// invalid sequence replaced by U+FFFD; the view is valid while `storage` lives.
std::string_view ValidUtf8View(std::string_view text, std::string& storage);
// The same, as a string.
std::string ValidUtf8(std::string_view text);

// `text` made valid UTF-8 and cut to at most `max_bytes` bytes of whole code points, with "…"
// after it when something was cut (one-line summaries of a post's text).
std::string Abbreviated(std::string_view text, size_t max_bytes);

// An origin (and optional path) that our own URLs may be built on: http(s), a host, no user
// info, query or fragment, nothing outside URL syntax (so no quote, angle bracket or space can
// reach a page we write). For --public-url and rewrite --base.
bool IsHttpBaseUrl(std::string_view url);

// Whether `host` is `domain` or a subdomain of it (de.twitter.com under twitter.com).
bool HostIsOrUnder(std::string_view host, std::string_view domain);

// The host of an absolute URL, lower case; empty when `url` is not one.
std::string HostOf(std::string_view url);

// Appends `text`, which must be valid UTF-8, escaped for HTML text and attribute values
// (& < > " '). Inline: the renderer calls it for every run of text.
inline void AppendHtmlEscaped(std::string& out, std::string_view text) {
  static constexpr auto kSpecial = [] {
    std::array<bool, 256> t{};
    for (char c : std::string_view("&<>\"'")) t[static_cast<unsigned char>(c)] = true;
    return t;
  }();
  size_t run = 0;  // start of the pending run of characters that need no escaping
  for (size_t i = 0; i < text.size(); ++i) {
    if (!kSpecial[static_cast<unsigned char>(text[i])]) continue;
    const char* rep = nullptr;
    switch (text[i]) {
      case '&':
        rep = "&amp;";
        break;
      case '<':
        rep = "&lt;";
        break;
      case '>':
        rep = "&gt;";
        break;
      case '"':
        rep = "&quot;";
        break;
      default:
        rep = "&#39;";
        break;
    }
    out.append(text.data() + run, i - run);
    out += rep;
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
}

}  // namespace stillpost
