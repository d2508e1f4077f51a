// Link-card building the fetcher's adapters share (URL helpers: common/web.h). Private to fetcher/.
#pragma once

#include <string>
#include <string_view>

#include "common/web.h"
#include "stillpost.pb.h"

namespace stillpost::fetcher::detail {

using stillpost::HostOf;

// A link card for `url` as Mastodon and Bluesky give one: the URL is its own expansion, and the
// domain shown is the URL's host without "www.".
inline void FillLinkCard(proto::LinkCard& card, const std::string& url, std::string title,
                         std::string description, std::string image_url) {
  card.set_url(url);
  card.set_expanded_url(url);
  card.set_title(std::move(title));
  card.set_description(std::move(description));
  std::string domain = HostOf(url);
  if (domain.rfind("www.", 0) == 0) domain.erase(0, 4);
  card.set_domain(domain);
  card.set_image_url(std::move(image_url));
}

}  // namespace stillpost::fetcher::detail
