#include "fetcher/upstream.h"

#include <boost/algorithm/string/case_conv.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace stillpost::fetcher {
namespace {

bool IsHttp(const boost::urls::url_view& u) {
  return u.scheme_id() == boost::urls::scheme::http || u.scheme_id() == boost::urls::scheme::https;
}

}  // namespace

Status UpstreamMap::Add(std::string_view spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return InvalidArgumentError("malformed upstream '" + std::string(spec) +
                                "' (expected HOST=BASE_URL or *=BASE_URL)");
  }
  Rule rule{boost::algorithm::to_lower_copy(std::string(spec.substr(0, eq))),
            std::string(spec.substr(eq + 1))};
  while (!rule.base.empty() && rule.base.back() == '/') rule.base.pop_back();
  auto base = boost::urls::parse_absolute_uri(rule.base);
  if (!base || !IsHttp(*base) || base->host().empty()) {
    return InvalidArgumentError("malformed upstream '" + std::string(spec) +
                                "': the base must be an http(s) URL");
  }
  rules_.push_back(std::move(rule));
  return Status::Ok();
}

Status UpstreamMap::AddList(std::string_view specs) {
  size_t start = 0;
  while (start < specs.size()) {
    size_t end = specs.find(',', start);
    if (end == std::string_view::npos) end = specs.size();
    std::string_view one = specs.substr(start, end - start);
    while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
    while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
    if (!one.empty()) SP_RETURN_IF_ERROR(Add(one));
    start = end + 1;
  }
  return Status::Ok();
}

Result<UpstreamMap::Target> UpstreamMap::Resolve(std::string_view url_text) const {
  auto parsed = boost::urls::parse_absolute_uri(url_text);
  if (!parsed || !IsHttp(*parsed)) {
    return InvalidArgumentError("not an http(s) URL: " + std::string(url_text));
  }
  const boost::urls::url_view& url = *parsed;
  const std::string host = boost::algorithm::to_lower_copy(url.host());
  const auto kind = url.host_type();
  const bool literal = kind == boost::urls::host_type::ipv4 ||
                       kind == boost::urls::host_type::ipv6 ||
                       kind == boost::urls::host_type::ipvfuture || host == "localhost";
  if (!literal) {
    for (const Rule& rule : rules_) {
      if (rule.host != host && rule.host != "*") continue;
      std::string out = rule.base;
      if (rule.host == "*") {
        out += '/';
        out += host;
      }
      std::string path(url.encoded_path());
      if (path.empty() || path[0] != '/') path.insert(path.begin(), '/');
      out += path;
      if (url.has_query()) {
        out += '?';
        out += url.encoded_query();
      }
      return Target{std::move(out), true};
    }
  }
  return Target{std::string(url_text), false};
}

}  // namespace stillpost::fetcher
