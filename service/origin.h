// Web origins (RFC 6454) as the service compares them: the pages embed.js reports, the origins
// --auto-archive-origin allows, where a fetched page ended up.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace stillpost::service {

// The origin of an http(s) URL: "scheme://host[:port]" in lower case, the scheme's default port
// dropped (https://News.Example:443/a → https://news.example). Empty for anything else.
std::string OriginOf(std::string_view url);

// An origin as a person wrote it, made canonical as OriginOf() makes it. InvalidArgument for
// what is not http(s)://HOST[:PORT] (a path, a query, a fragment, a user).
Result<std::string> NormalizeOrigin(std::string_view origin);

}  // namespace stillpost::service
