// The address guard (fetcher/detail/address_guard.h): only public unicast addresses.
#include <catch2/catch.hpp>

#include "fetcher/http.h"

namespace stillpost::fetcher {
namespace {

TEST_CASE("address guard: it lets only public unicast addresses through") {
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
        "",
        // The table, spelled as a reader would.
        "100.64.0.0", "100.127.255.255", "64:ff9b::10.0.0.1",
        "fe80::", "2001:db8::", "::ffff:127.0.0.1"}) {
    INFO(bad);
    CHECK_FALSE(IsPublicIp(bad));
  }
}

TEST_CASE("address guard: the edges of blocked ranges are public") {
  for (const char* ok :
       {"100.63.255.255", "100.128.0.0", "11.0.0.0", "9.255.255.255", "172.15.255.255",
        "172.32.0.0", "64:ff9b::8.8.8.8", "2001:db9::1", "1.1.1.1"}) {
    INFO(ok);
    CHECK(IsPublicIp(ok));
  }
}

}  // namespace
}  // namespace stillpost::fetcher
