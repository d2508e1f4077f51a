// The SSRF guard's address classes, and the HTML nesting model that bounds gumbo's work.
#include "fetcher/http.h"

#include <catch2/catch.hpp>
#include <string>

#include "fetcher/detail/html.h"

namespace stillpost::fetcher {
namespace {

TEST_CASE("http: the guard lets only public unicast addresses through") {
  for (const char* ok : {"93.184.216.34", "1.1.1.1", "2606:4700::1111", "2a00:1450:4001::200e",
                         "::ffff:93.184.216.34", "64:ff9b::5db8:d822", "2002:5db8:d822::1"}) {
    INFO(ok);
    CHECK(IsPublicIp(ok));
  }
  for (const char* bad :
       {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "169.254.169.254",
        "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1", "::1", "::", "fe80::1", "fc00::1",
        "ff02::1", "2001:db8::1",
        // Forms that carry a private IPv4, or ranges that are not globally reachable.
        "::ffff:127.0.0.1", "::ffff:0:10.0.0.1", "::10.0.0.1", "64:ff9b::a00:1", "64:ff9b:1::a00:1",
        "64:ff9b:1:ffff::1", "2002:7f00:1::1", "2002:c0a8:101::1", "3fff::1", "3fff:fff::1",
        "5f00::1", "2001:20::1", "2001:2f::1", "2001::1", "2001:1ff::1", "100::1", "not an address",
        ""}) {
    INFO(bad);
    CHECK_FALSE(IsPublicIp(bad));
  }
}

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
