#include "common/post_key.h"

#include <algorithm>

namespace stillpost {
namespace {

// Longest accepted parts; far above anything real, low enough to keep keys small.
constexpr size_t kMaxXIdDigits = 19;  // snowflakes fit in int64
constexpr size_t kMaxHostLength = 253;
constexpr size_t kMaxIdLength = 64;
constexpr size_t kMaxDidLength = 2048;
constexpr size_t kMaxRkeyLength = 512;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

bool AllOf(std::string_view s, bool (*pred)(char)) { return std::all_of(s.begin(), s.end(), pred); }

Status Bad(std::string_view key, std::string_view why) {
  return InvalidArgumentError("malformed post key '" + std::string(key) + "': " + std::string(why));
}

bool ValidHost(std::string_view host) {
  if (host.empty() || host.size() > kMaxHostLength) return false;
  if (host.find('.') == std::string_view::npos) return false;
  if (host.front() == '.' || host.back() == '.' || host.front() == '-') return false;
  if (host.find("..") != std::string_view::npos) return false;
  return AllOf(host, [](char c) { return IsLowerAlnum(c) || c == '.' || c == '-'; });
}

bool ValidDid(std::string_view did) {
  // did:<method>:<method-specific-id>, per the W3C DID syntax that atproto restricts further.
  if (did.size() > kMaxDidLength || did.substr(0, 4) != "did:") return false;
  std::string_view rest = did.substr(4);
  size_t colon = rest.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  std::string_view method = rest.substr(0, colon);
  std::string_view ident = rest.substr(colon + 1);
  if (!AllOf(method, [](char c) { return c >= 'a' && c <= 'z'; })) return false;
  if (ident.empty() || ident.back() == ':') return false;
  return AllOf(ident, [](char c) {
    return IsAlnum(c) || c == '.' || c == '_' || c == ':' || c == '%' || c == '-';
  });
}

bool ValidRkey(std::string_view rkey) {
  if (rkey.empty() || rkey.size() > kMaxRkeyLength || rkey == "." || rkey == "..") return false;
  return AllOf(rkey, [](char c) {
    return IsAlnum(c) || c == '.' || c == '_' || c == ':' || c == '~' || c == '-';
  });
}

}  // namespace

std::string_view KeyPlatformName(KeyPlatform platform) {
  switch (platform) {
    case KeyPlatform::kX:
      return "x";
    case KeyPlatform::kMastodon:
      return "mastodon";
    case KeyPlatform::kBluesky:
      return "bsky";
  }
  return "unknown";
}

Result<ParsedPostKey> ParsePostKey(std::string_view key) {
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) {
    return Bad(key, "expected x/<id>, mastodon/<host>/<id> or bsky/<did>/<rkey>");
  }
  std::string_view platform = key.substr(0, slash);
  std::string_view rest = key.substr(slash + 1);
  ParsedPostKey out;
  if (platform == "x") {
    out.platform = KeyPlatform::kX;
    if (rest.empty() || rest.size() > kMaxXIdDigits || !AllOf(rest, IsDigit)) {
      return Bad(key, "an X id is 1 to 19 decimal digits");
    }
    out.id = rest;
    return out;
  }
  if (platform != "mastodon" && platform != "bsky") {
    return Bad(key, "unknown platform '" + std::string(platform) + "' (x, mastodon, bsky)");
  }
  size_t second = rest.find('/');
  if (second == std::string_view::npos) return Bad(key, "missing the last part");
  std::string_view middle = rest.substr(0, second);
  std::string_view last = rest.substr(second + 1);
  if (platform == "mastodon") {
    out.platform = KeyPlatform::kMastodon;
    if (!ValidHost(middle)) return Bad(key, "the host must be a lower-case domain name");
    if (last.empty() || last.size() > kMaxIdLength || !AllOf(last, IsAlnum)) {
      return Bad(key, "a Mastodon id is 1 to 64 letters or digits");
    }
    out.host = middle;
    out.id = last;
    return out;
  }
  out.platform = KeyPlatform::kBluesky;
  if (!ValidDid(middle)) return Bad(key, "expected a DID such as did:plc:abc123");
  if (!ValidRkey(last)) return Bad(key, "malformed record key");
  out.did = middle;
  out.id = last;
  return out;
}

std::string FormatPostKey(const ParsedPostKey& key) {
  std::string out(KeyPlatformName(key.platform));
  out += '/';
  switch (key.platform) {
    case KeyPlatform::kX:
      break;
    case KeyPlatform::kMastodon:
      out += key.host;
      out += '/';
      break;
    case KeyPlatform::kBluesky:
      out += key.did;
      out += '/';
      break;
  }
  out += key.id;
  return out;
}

}  // namespace stillpost
