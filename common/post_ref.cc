#include "common/post_ref.h"

#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <cstring>

#include "common/post_key.h"

namespace stillpost {
namespace {

constexpr size_t kMaxIdDigits = 19;  // snowflakes fit in an int64
constexpr const char* kOwnHosts[] = {"twitter.com",   "x.com",      "fxtwitter.com",
                                     "vxtwitter.com", "fixupx.com", "fixvx.com"};
constexpr const char* kHostPrefixes[] = {"www.", "mobile.", "m."};

bool IsId(std::string_view s) {
  return !s.empty() && s.size() <= kMaxIdDigits &&
         s.find_first_not_of("0123456789") == std::string_view::npos;
}

Status NotAPost(std::string_view input, std::string_view why) {
  return InvalidArgumentError("not an X post: " + std::string(input) + " (" + std::string(why) +
                              ")");
}

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) out.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

bool IsXHost(std::string_view host_in, const std::vector<std::string>& extra_hosts) {
  std::string host = boost::algorithm::to_lower_copy(std::string(host_in));
  for (const auto& h : extra_hosts) {
    if (boost::algorithm::iequals(host, h)) return true;
  }
  for (const char* prefix : kHostPrefixes) {
    if (host.rfind(prefix, 0) == 0) {
      host.erase(0, std::strlen(prefix));
      break;
    }
  }
  for (const char* own : kOwnHosts) {
    if (host == own) return true;
  }
  return false;
}

Result<std::string> ParseXPostRef(std::string_view input_raw,
                                  const std::vector<std::string>& extra_hosts) {
  std::string_view input = input_raw;
  while (!input.empty() && std::isspace(static_cast<unsigned char>(input.front()))) {
    input.remove_prefix(1);
  }
  while (!input.empty() && std::isspace(static_cast<unsigned char>(input.back()))) {
    input.remove_suffix(1);
  }
  if (input.empty()) return InvalidArgumentError("empty post reference");
  if (IsId(input)) return std::string(input);
  if (input.find_first_not_of("0123456789") == std::string_view::npos) {
    return NotAPost(input, "an X id is at most 19 digits");
  }

  std::string text(input);
  if (text.find("://") == std::string::npos) text = "https://" + text;
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return NotAPost(input, "not a URL");
  const boost::urls::url_view url = *parsed;
  if (url.scheme_id() != boost::urls::scheme::http &&
      url.scheme_id() != boost::urls::scheme::https) {
    return NotAPost(input, "not an http(s) URL");
  }
  if (!IsXHost(url.host(), extra_hosts)) return NotAPost(input, "not an X host");

  // Very old links keep the path in the fragment: twitter.com/#!/user/status/ID.
  std::string path = url.path();
  if (url.has_fragment() && url.fragment().rfind("!/", 0) == 0 && (path.empty() || path == "/")) {
    path = url.fragment().substr(1);
  }
  const std::vector<std::string> seg = Segments(path);
  if (seg.empty()) return NotAPost(input, "the site's home page");
  const std::string first = boost::algorithm::to_lower_copy(seg[0]);
  if (first == "i" && seg.size() >= 4 && seg[1] == "web" && seg[2] == "status" && IsId(seg[3])) {
    return seg[3];
  }
  if (first == "i" && seg.size() >= 3 && seg[1] == "status" && IsId(seg[2])) return seg[2];
  if (first == "intent" || first == "share") {
    return NotAPost(input, "an intent or share link");
  }
  if (first == "hashtag") return NotAPost(input, "a hashtag page");
  if (first == "search" || first == "explore") return NotAPost(input, "a search page");
  if (seg.size() >= 3 && (seg[1] == "status" || seg[1] == "statuses")) {
    if (!IsId(seg[2])) return NotAPost(input, "the status id is not a number");
    if (seg.size() == 3) return seg[2];
    const std::string what = boost::algorithm::to_lower_copy(seg[3]);
    if ((what == "photo" || what == "video") && (seg.size() == 4 || seg.size() == 5)) {
      return seg[2];
    }
    return NotAPost(input, "unknown path after the status id");
  }
  if (seg.size() == 1) return NotAPost(input, "a profile, not a post");
  return NotAPost(input, "no status id in the path");
}

Result<std::string> PostKeyFromRef(std::string_view input, const std::vector<std::string>& extra) {
  if (ParsePostKey(input)) return std::string(input);
  auto id = ParseXPostRef(input, extra);
  if (!id) return id.error();
  return "x/" + *id;
}

}  // namespace stillpost
