#include "common/web.h"

#include <utf8.h>

#include <boost/algorithm/string/case_conv.hpp>
#include <boost/url/parse.hpp>
#include <iterator>

namespace stillpost {

bool IsHttpUrl(std::string_view url) {
  // Only "http:" and "https:" can pass: anything else is refused before the full parse.
  if (url.size() < 7 || (url[0] | 0x20) != 'h' || (url[1] | 0x20) != 't' ||
      (url[2] | 0x20) != 't' || (url[3] | 0x20) != 'p') {
    return false;
  }
  // parse_uri: a fragment is part of a link (https://en.wikipedia.org/wiki/X#History).
  auto u = boost::urls::parse_uri(url);
  if (!u || u->host().empty()) return false;
  const std::string scheme = boost::algorithm::to_lower_copy(std::string(u->scheme()));
  return scheme == "http" || scheme == "https";
}

std::string_view ValidUtf8View(std::string_view text, std::string& storage) {
  if (IsAscii(text) || utf8::is_valid(text.begin(), text.end())) return text;
  storage.clear();
  utf8::replace_invalid(text.begin(), text.end(), std::back_inserter(storage));
  return storage;
}

std::string ValidUtf8(std::string_view text) {
  std::string storage;
  return std::string(ValidUtf8View(text, storage));
}

std::string Abbreviated(std::string_view text, size_t max_bytes) {
  std::string valid = ValidUtf8(text);
  if (valid.size() <= max_bytes) return valid;
  auto end = valid.cbegin();
  for (auto it = end;
       it != valid.cend() && it - valid.cbegin() <= static_cast<ptrdiff_t>(max_bytes);
       utf8::unchecked::next(it)) {
    end = it;
  }
  return std::string(valid.cbegin(), end) + "\u2026";
}

bool IsHttpBaseUrl(std::string_view url) {
  if (!IsHttpUrl(url)) return false;
  auto u = boost::urls::parse_absolute_uri(url);
  return u && !u->has_userinfo() && !u->has_query() && !u->has_fragment() &&
         url.find_first_of("\"'<>` \t\r\n\\") == std::string_view::npos;
}

bool HostIsOrUnder(std::string_view host, std::string_view domain) {
  return host == domain || (host.size() > domain.size() && host.ends_with(domain) &&
                            host[host.size() - domain.size() - 1] == '.');
}

std::string HostOf(std::string_view url) {
  auto u = boost::urls::parse_absolute_uri(url);
  return u ? boost::algorithm::to_lower_copy(std::string(u->host())) : std::string();
}

}  // namespace stillpost
