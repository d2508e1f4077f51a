#include "fetcher/detail/address_guard.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>
#include <utility>

#include "fetcher/http.h"

namespace stillpost::fetcher {
namespace detail {
namespace {

bool InV4(uint32_t a, uint32_t net, int bits) {
  const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return (a & mask) == (net & mask);
}

constexpr uint32_t V4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

}  // namespace

// Public unicast IPv4: not "this network", private, shared (CGNAT), loopback, link-local,
// IETF protocol assignments, documentation, benchmarking, multicast, reserved or broadcast.
bool PublicV4(uint32_t a) {
  static constexpr std::pair<uint32_t, int> kBlocked[] = {
      {V4(0, 0, 0, 0), 8},      {V4(10, 0, 0, 0), 8},     {V4(100, 64, 0, 0), 10},
      {V4(127, 0, 0, 0), 8},    {V4(169, 254, 0, 0), 16}, {V4(172, 16, 0, 0), 12},
      {V4(192, 0, 0, 0), 24},   {V4(192, 0, 2, 0), 24},   {V4(192, 88, 99, 0), 24},
      {V4(192, 168, 0, 0), 16}, {V4(198, 18, 0, 0), 15},  {V4(198, 51, 100, 0), 24},
      {V4(203, 0, 113, 0), 24}, {V4(224, 0, 0, 0), 4},    {V4(240, 0, 0, 0), 4},
  };
  for (const auto& [net, bits] : kBlocked) {
    if (InV4(a, net, bits)) return false;
  }
  return true;
}

namespace {

uint32_t V4At(const uint8_t* b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

}  // namespace

bool PublicV6(const in6_addr& addr) {
  const uint8_t* b = addr.s6_addr;
  static constexpr uint8_t kZero[16] = {};
  // Forms that carry an IPv4 address are judged by it: ::ffff:a.b.c.d (mapped), ::a.b.c.d
  // (compatible), ::ffff:0:a.b.c.d (SIIT translated), 64:ff9b::a.b.c.d (NAT64), and 6to4
  // 2002:AABB:CCDD::/48 (the IPv4 in bits 16-47).
  const bool mapped = std::memcmp(b, kZero, 10) == 0 && b[10] == 0xff && b[11] == 0xff;
  const bool compat = std::memcmp(b, kZero, 12) == 0;
  const bool translated =
      std::memcmp(b, kZero, 8) == 0 && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0;
  const bool nat64 = b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b &&
                     std::memcmp(b + 4, kZero, 8) == 0;
  if (mapped || compat || translated || nat64) return PublicV4(V4At(b + 12));
  if (b[0] == 0x20 && b[1] == 0x02) return PublicV4(V4At(b + 2));  // 2002::/16 6to4
  // 64:ff9b:1::/48, NAT64 for local use (RFC 8215): translates to anything, private included.
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0x00 && b[5] == 0x01)
    return false;
  if ((b[0] & 0xfe) == 0xfc) return false;                  // fc00::/7 unique local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return false;  // fe80::/10 link-local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return false;  // fec0::/10 site-local
  if (b[0] == 0xff) return false;                           // ff00::/8 multicast
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return false;  // 2001:db8::/32
  if (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xf0) == 0) return false;  // 3fff::/20 documentation
  if (b[0] == 0x5f && b[1] == 0x00) return false;                        // 5f00::/16 SRv6 SIDs
  if (b[0] == 0x01 && b[1] == 0x00 && std::memcmp(b + 2, kZero, 6) == 0) return false;  // discard
  // 2001::/23 IETF protocol assignments (Teredo, benchmarking, ORCHIDv2 2001:20::/28, ...).
  if (b[0] == 0x20 && b[1] == 0x01 && (b[2] & 0xfe) == 0) return false;
  return true;
}

}  // namespace detail

bool IsPublicIp(std::string_view address) {
  const std::string text(address);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return detail::PublicV4(ntohl(v4.s_addr));
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) return detail::PublicV6(v6);
  return false;
}

}  // namespace stillpost::fetcher
