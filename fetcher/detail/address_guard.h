// The address guard: which addresses an upstream request may connect to. Public unicast only:
// not private, shared (CGNAT), loopback, link-local, multicast, documentation, benchmarking or
// reserved, and IPv6 forms that carry an IPv4 address are judged by that address. Tested in
// tests/unit/fetcher/address_guard_test.cc.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string_view>

namespace stillpost::fetcher::detail {

// A host-order IPv4 address.
bool PublicV4(uint32_t address);
bool PublicV6(const in6_addr& address);

}  // namespace stillpost::fetcher::detail
