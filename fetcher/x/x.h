// X/Twitter: recognising post URLs, the syndication endpoint react-tweet uses (its token), and
// mapping a tweet-result body to our Post. Formats and edge cases: ../shared/PLATFORMS.md §1.
// Start with ParsePostRef("https://x.com/u/status/20") -> "20", then TweetResultUrl("20").
// Thread safety: pure functions (no state, no I/O); call them from any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/post_ref.h"
#include "common/status.h"
#include "fetcher/mapped.h"
#include "stillpost.pb.h"

namespace stillpost::fetcher {
class Adapter;
}  // namespace stillpost::fetcher

namespace stillpost::fetcher::x {

// X URL recognition lives in common/post_ref.h (the server needs it too).
inline Result<std::string> ParsePostRef(std::string_view input,
                                        const std::vector<std::string>& extra_hosts = {}) {
  return ParseXPostRef(input, extra_hosts);
}

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

namespace stillpost::fetcher::x {

// The outcome of one tweet-result body. Fallbacks: a photo at name=orig falls back to
// name=large, a video to its next lower bitrate, a 400x400 avatar to the size the API gave.
using MappedTweet = MappedPost;

// Maps a syndication tweet-result body (HTTP 200). Missing fields are fine; `entities.hashtags`
// as an object instead of a list is fine; a field of the wrong type fails the capture with
// InvalidArgument naming the field; malformed JSON is InvalidArgument too. `{}` and a
// TweetTombstone map to gone.
Result<MappedTweet> MapTweetResult(std::string_view body);

// The tombstone kind a platform message describes ("This Post was deleted by the Post author"
// -> deleted; suspended, protected, withheld; anything else unknown).
proto::Tombstone::Kind TombstoneKindFromText(std::string_view text);

// This network's row in the adapter table (fetcher/adapter.h).
const Adapter& GetAdapter();

}  // namespace stillpost::fetcher::x
