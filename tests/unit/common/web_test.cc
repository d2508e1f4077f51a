#include "common/web.h"

#include <catch2/catch.hpp>

#include "common/numbers.h"

namespace stillpost {
namespace {

TEST_CASE("web: only absolute http(s) URLs with a host become links") {
  for (const char* ok : {"https://x.com/a", "http://example.org", "HTTPS://Example.ORG/p?q#f"}) {
    INFO(ok);
    CHECK(IsHttpUrl(ok));
  }
  for (const char* bad : {"javascript:alert(1)", "data:text/html,x", "//x.com/a", "/relative",
                          "https://", "ftp://x.com/", "http:/x.com", "", "https ://x.com"}) {
    INFO(bad);
    CHECK_FALSE(IsHttpUrl(bad));
  }
}

TEST_CASE("web: base URLs for our own links refuse anything that could leave URL syntax") {
  CHECK(IsHttpBaseUrl("https://news.example/archive"));
  CHECK(IsHttpBaseUrl("http://127.0.0.1:8080"));
  for (const char* bad :
       {"https://news.example/?q=1", "https://news.example/#f", "https://user@news.example",
        "https://news.example/a\"b", "https://news.example/<x>", "mailto:a@b", "news.example"}) {
    INFO(bad);
    CHECK_FALSE(IsHttpBaseUrl(bad));
  }
}

TEST_CASE("web: hosts, subdomains and UTF-8") {
  CHECK(HostOf("https://De.Twitter.COM/x") == "de.twitter.com");
  CHECK(HostOf("not a url").empty());
  CHECK(HostIsOrUnder("de.twitter.com", "twitter.com"));
  CHECK(HostIsOrUnder("twitter.com", "twitter.com"));
  CHECK_FALSE(HostIsOrUnder("nottwitter.com", "twitter.com"));
  CHECK_FALSE(HostIsOrUnder("twitter.com.evil", "twitter.com"));

  CHECK(ValidUtf8("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(ValidUtf8("a\xFF"
                  "b") ==
        "a\xEF\xBF\xBD"
        "b");                                  // U+FFFD for the bad byte
  CHECK(ValidUtf8("\xC3") == "\xEF\xBF\xBD");  // a sequence cut short
  std::string storage;
  const std::string_view ascii = "plain";
  CHECK(ValidUtf8View(ascii, storage).data() == ascii.data());  // no copy when valid

  CHECK(Abbreviated("short", 10) == "short");
  CHECK(Abbreviated("abcdefghij", 5) == "abcde\xE2\x80\xA6");
  // Never cuts inside a code point: "é" is two bytes.
  CHECK(Abbreviated("\xC3\xA9\xC3\xA9\xC3\xA9", 3) == "\xC3\xA9\xE2\x80\xA6");
}

TEST_CASE("web: HTML escaping covers text and both attribute quotes") {
  std::string out;
  AppendHtmlEscaped(out, "<a href=\"x\" title='y'>&amp;</a>");
  CHECK(out == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
  out.clear();
  AppendHtmlEscaped(out, "nothing special");
  CHECK(out == "nothing special");
}

TEST_CASE("numbers: digits only, within uint64") {
  CHECK(ParseDigits("0") == 0u);
  CHECK(ParseDigits("18446744073709551615") == UINT64_MAX);
  CHECK_FALSE(ParseDigits("18446744073709551616"));  // overflow
  CHECK_FALSE(ParseDigits(""));
  CHECK_FALSE(ParseDigits("-1"));
  CHECK_FALSE(ParseDigits("+1"));
  CHECK_FALSE(ParseDigits("1 "));
  CHECK_FALSE(ParseDigits("0x10"));
}

}  // namespace
}  // namespace stillpost
