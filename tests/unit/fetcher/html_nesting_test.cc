// The HTML nesting model that bounds gumbo's work (fetcher/detail/html.h).
#include <catch2/catch.hpp>
#include <string>

#include "fetcher/detail/html.h"
#include "fetcher/http.h"

namespace stillpost::fetcher {
namespace {

TEST_CASE("html: elements that nest without end tags are cut, real ruby and lists are not") {
  // <rt> outside <ruby> nests: gumbo took 46 s on this (640 KB).
  std::string rt = "<p>";
  for (int i = 0; i < 160000; ++i) rt += "<rt>";
  CHECK(detail::NestingCut(rt) < rt.size());
  std::string dd_li = "<dl>";  // <dd><li> nest: neither closes the other
  for (int i = 0; i < 2000; ++i) dd_li += "<dd><li>";
  CHECK(detail::NestingCut(dd_li) < dd_li.size());

  std::string ruby = "<p><ruby>";
  for (int i = 0; i < 5000; ++i) ruby += "<rb>x<rt>y";
  ruby += "</ruby></p>";
  CHECK(detail::NestingCut(ruby) == ruby.size());
  std::string list = "<ul>";
  for (int i = 0; i < 5000; ++i) list += "<li>item <b>bold</b>";
  list += "</ul><table>";
  for (int i = 0; i < 2000; ++i) list += "<tr><td>a<td>b";
  list += "</table>";
  CHECK(detail::NestingCut(list) == list.size());
}

TEST_CASE("html: formatting elements rebuilt after every block are bounded by a work budget") {
  // Each "<p>y" makes gumbo rebuild the 500 formatting elements the previous <p> closed.
  std::string bomb = "<p>";
  for (int i = 0; i < 500; ++i) bomb += "<b class=c" + std::to_string(i) + ">";
  for (int i = 0; i < 160000; ++i) bomb += "<p>y";
  CHECK(detail::NestingCut(bomb) < bomb.size());
  // A real page's few open formatting elements cost nothing like it.
  std::string page = "<b><i>";
  for (int i = 0; i < 100000; ++i) page += "<p>para</p>";
  CHECK(detail::NestingCut(page) == page.size());
}

}  // namespace
}  // namespace stillpost::fetcher
