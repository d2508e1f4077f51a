// Where requests really go. Every upstream URL stillpost stores is the canonical https one; an
// UpstreamMap sends the request elsewhere (a mirror, or upstream-replay in tests and the demo):
//   HOST=BASE   https://HOST/PATH?Q  ->  BASE/PATH?Q
//   *=BASE      https://HOST/PATH?Q  ->  BASE/HOST/PATH?Q
// IP-literal hosts and localhost are never rewritten: they are not upstreams.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace stillpost::fetcher {

// Thread safety: build it on one thread; once built, lookups are const and may run anywhere.
class UpstreamMap {
 public:
  // Adds one rule; InvalidArgument for anything but HOST=BASE or *=BASE with an http(s) BASE.
  Status Add(std::string_view spec);
  // Adds the comma-separated rules of $STILLPOST_UPSTREAM-style text.
  Status AddList(std::string_view specs);

  struct Target {
    std::string url;         // what to request
    bool rewritten = false;  // a rule applied: the request goes to a configured upstream
  };
  // The request URL for canonical `url` (which must be absolute http(s)).
  Result<Target> Resolve(std::string_view url) const;

  bool empty() const { return rules_.empty(); }

 private:
  struct Rule {
    std::string host;  // lower case; "*" for every host
    std::string base;  // without a trailing '/'
  };
  std::vector<Rule> rules_;
};

}  // namespace stillpost::fetcher
