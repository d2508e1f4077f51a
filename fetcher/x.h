// X/Twitter: recognising post URLs, the syndication endpoint react-tweet uses (its token), and
// mapping a tweet-result body to our Post. Formats and edge cases: ../shared/PLATFORMS.md §1.
// Start with ParsePostRef("https://x.com/u/status/20") -> "20", then TweetResultUrl("20").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "stillpost.pb.h"

namespace stillpost::fetcher::x {

// The ID of the post that `input` names: a bare numeric ID, or a URL on twitter.com / x.com
// (www., mobile., m.), fxtwitter.com, vxtwitter.com, fixupx.com, fixvx.com or one of
// `extra_hosts` (nitter instances), in any of the forms /USER/status/ID, /USER/statuses/ID,
// /i/web/status/ID, /i/status/ID, with /photo/N or /video/N after, #!/USER/status/ID, any query
// or fragment. InvalidArgument, saying why, for anything else (a profile, a hashtag, a search,
// an intent/share link, another site).
Result<std::string> ParsePostRef(std::string_view input,
                                 const std::vector<std::string>& extra_hosts = {});

// True when `host` (lower case, no port) is one of X's own hosts or their mirrors.
bool IsXHost(std::string_view host, const std::vector<std::string>& extra_hosts = {});

// react-tweet's token: ((Number(id) / 1e15) * Math.PI).toString(36) with every run of '0' and
// the '.' removed, computed on an IEEE double digit for digit as V8 does it.
std::string SyndicationToken(std::string_view id);

// JavaScript's Number.prototype.toString(radix) for a finite double, radix 2..36 (V8's
// DoubleToRadixCString). Exposed for its golden tests.
std::string DoubleToRadix(double value, int radix);

// https://cdn.syndication.twimg.com/tweet-result?id=ID&lang=en&features=...&token=T
std::string TweetResultUrl(std::string_view id);

// https://publish.twitter.com/oembed?url=https://twitter.com/i/status/ID&omit_script=true
std::string OEmbedUrl(std::string_view id);

// https://x.com/i/status/ID: the canonical URL of a post whose author is not known.
std::string CanonicalUrl(std::string_view id, std::string_view screen_name = {});

}  // namespace stillpost::fetcher::x
