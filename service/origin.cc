#include "service/origin.h"

#include <boost/algorithm/string/case_conv.hpp>
#include <boost/url/parse.hpp>

#include "common/web.h"

namespace stillpost::service {

std::string OriginOf(std::string_view url) {
  auto u = boost::urls::parse_uri(url);
  if (!u || !IsHttpUrl(url) || u->encoded_host().empty()) return {};
  const std::string scheme = boost::algorithm::to_lower_copy(std::string(u->scheme()));
  std::string out =
      scheme + "://" + boost::algorithm::to_lower_copy(std::string(u->encoded_host()));
  const std::string_view port = u->port();
  if (!port.empty() && !(scheme == "http" && port == "80") &&
      !(scheme == "https" && port == "443")) {
    out += ':';
    out += port;
  }
  return out;
}

Result<std::string> NormalizeOrigin(std::string_view origin) {
  auto u = boost::urls::parse_uri(origin);
  std::string out = u ? OriginOf(origin) : std::string();
  if (out.empty()) {
    return InvalidArgumentError("not an origin (http(s)://HOST[:PORT]): " + ValidUtf8(origin));
  }
  const std::string_view path = u->encoded_path();
  if ((!path.empty() && path != "/") || u->has_query() || u->has_fragment() || u->has_userinfo()) {
    return InvalidArgumentError("an origin is a scheme, a host and a port, no path: " +
                                ValidUtf8(origin));
  }
  return out;
}

}  // namespace stillpost::service
