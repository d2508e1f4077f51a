#include "fetcher/html_text.h"

#include <catch2/catch.hpp>

#include "tests/support/fixtures.h"

namespace stillpost::fetcher {
namespace {

using testing::Slice;

TEST_CASE("html_text: the allowlist keeps p, br, http(s) links and spans, and their text") {
  CHECK(SanitizeHtml("<p>a<br>b</p><p>c</p>") == "<p>a<br>b</p><p>c</p>");
  CHECK(
      SanitizeHtml(
          R"h(<a href="https://a.example/x?y=1&amp;z=2" target="_blank" class="u-url mention evil">t</a>)h") ==
      R"h(<a href="https://a.example/x?y=1&amp;z=2" rel="nofollow noopener noreferrer" class="u-url mention">t</a>)h");
  CHECK(SanitizeHtml(R"h(<span class="invisible" style="x">https://</span>)h") ==
        R"h(<span class="invisible">https://</span>)h");
  CHECK(SanitizeHtml("<ul><li>one</li><li>two</li></ul><h1>T</h1>") == "one<br>two<br>T<br>");
  CHECK(SanitizeHtml("<p>x &lt;script&gt; &quot;q&quot;</p>") ==
        "<p>x &lt;script&gt; &quot;q&quot;</p>");
  // HTML5 parsing: a <p> closes the open one, and the stray </p> makes an empty paragraph.
  CHECK(SanitizeHtml("<p>nested <p>p</p></p>") == "<p>nested </p><p>p</p><p></p>");
  CHECK(SanitizeHtml("bad \xff utf8") == "bad \xef\xbf\xbd utf8");
}

TEST_CASE("html_text: hostile markup - nothing active survives") {
  const std::string hostile =
      R"h(<p onclick="x()">a<script>alert(1)</script><style>*{}</style><iframe src="https://e.example"></iframe>)h"
      R"h(<img src=x onerror="alert(2)"><svg><script>alert(3)</script></svg><template><b>t</b></template>)h"
      R"h(<a href="javascript:alert(4)">j</a><a href="JaVaScRiPt:alert(5)">k</a><a href="data:text/html;base64,PHNjcmlwdD4=">d</a>)h"
      R"h(<a href="vbscript:x">v</a><a href="//evil.example/">r</a><a href=" https://ok.example/ ">o</a><a href="https://ok.example/kept">kept</a>)h"
      R"h(<object data="x"></object><embed src="x"><form><input value="i"></form><noscript>n</noscript>)h"
      R"h(<math><mi>m</mi></math><!-- comment --><![CDATA[cd]]></p>)h";
  const std::string safe = SanitizeHtml(hostile);
  for (const char* bad :
       {"script",   "alert",      "onclick",    "onerror", "style",    "iframe", "img",    "svg",
        "template", "javascript", "JaVaScRiPt", "data:",   "vbscript", "evil",   "object", "embed",
        "form",     "input",      "noscript",   "math",    "comment",  "<b>"}) {
    INFO(bad);
    CHECK(safe.find(bad) == std::string::npos);
  }
  const RichText rich = HtmlToRichText(safe);
  CHECK(rich.text.find("alert") == std::string::npos);
  // Only the one plain http(s) link stays a link; what the others said stays as text.
  REQUIRE(rich.entities.size() == 1);
  CHECK(rich.entities[0].kind() == proto::Entity::KIND_LINK);
  CHECK(rich.entities[0].target() == "https://ok.example/kept");
  CHECK(rich.text == "ajkdvrokept");
}

TEST_CASE("html_text: Mastodon's link, mention and hashtag markup to text and entities") {
  const std::string html =
      R"h(<p>Hello <span class="h-card"><a href="https://m.example/@bob" class="u-url mention">@<span>bob</span></a></span> 日本 )h"
      R"h(<a href="https://www.example.com/a/very/long/path" rel="nofollow"><span class="invisible">https://www.</span><span class="ellipsis">example.com/a/very</span><span class="invisible">/long/path</span></a></p>)h"
      R"h(<p>line<br>two <a href="https://m.example/tags/t" class="mention hashtag" rel="tag">#<span>t</span></a></p>)h";
  const RichText rich = HtmlToRichText(SanitizeHtml(html));
  CHECK(rich.text == "Hello @bob 日本 https://www.example.com/a/very/long/path\n\nline\ntwo #t");
  REQUIRE(rich.entities.size() == 3);
  CHECK(Slice(rich.text, rich.entities[0].start(), rich.entities[0].end()) == "@bob");
  CHECK(rich.entities[0].kind() == proto::Entity::KIND_MENTION);
  CHECK(Slice(rich.text, rich.entities[1].start(), rich.entities[1].end()) ==
        "https://www.example.com/a/very/long/path");
  CHECK(rich.entities[1].display() == "example.com/a/very\u2026");
  CHECK(rich.entities[2].kind() == proto::Entity::KIND_HASHTAG);
  CHECK(rich.entities[2].target_id() == "t");
}

TEST_CASE("html_text: custom emoji outside other entities") {
  std::vector<proto::Entity> entities;
  const std::string text = "é :wave: and :wave::unknown: :wave";
  AddCustomEmoji(text, {{"wave", "https://e.example/wave.png"}}, entities);
  REQUIRE(entities.size() == 2);
  CHECK(Slice(text, entities[0].start(), entities[0].end()) == ":wave:");
  CHECK(entities[0].start() == 2);
  CHECK(Slice(text, entities[1].start(), entities[1].end()) == ":wave:");
  CHECK(entities[1].target() == "https://e.example/wave.png");
}

}  // namespace
}  // namespace stillpost::fetcher

namespace stillpost::fetcher {
namespace {

TEST_CASE("html_text: pathological nesting - bounded work, the text kept, no stack overflow") {
  // Before the hardening, gumbo alone took 3 GB on 20,000 of these; the walkers recurse.
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<span><b>";
  deep += "<a href=\"https://ok.example/\">deep</a> text";
  const std::string safe = SanitizeHtml("<p>top " + deep + "</p>");
  CHECK(safe.size() < 10000);
  const RichText rich = HtmlToRichText(safe);
  CHECK(rich.text == "top deep text");
}

}  // namespace
}  // namespace stillpost::fetcher
