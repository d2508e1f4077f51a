// Recognising what a user or a page gives as "a post": a post key, a post URL on X, Mastodon or
// Bluesky, an at:// URI, or a bare X id.
// Shared by the CLI, the fetcher and the server's oEmbed endpoint.
// Thread safety: pure functions (no state, no I/O); call them from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace stillpost {

// The ID of the X post that `input` names: a bare numeric ID, or a URL on twitter.com / x.com
// (or a subdomain: www., mobile., m., de.), fxtwitter.com, vxtwitter.com, fixupx.com, fixvx.com or
// one of `extra_hosts` (nitter instances), in any of the forms /USER/status/ID, /USER/statuses/ID,
// /i/web/status/ID, /i/status/ID, with /photo/N or /video/N after, #!/USER/status/ID, any query
// or fragment. InvalidArgument, saying why, for anything else (a profile, a hashtag, a search,
// an intent/share link, another site).
Result<std::string> ParseXPostRef(std::string_view input,
                                  const std::vector<std::string>& extra_hosts = {});

// True when `host` (no port) is one of X's own hosts or their mirrors, or one of `extra_hosts`.
bool IsXHost(std::string_view host, const std::vector<std::string>& extra_hosts = {});

// The key of a Mastodon post URL, recognised by path shape on any host (any host can be a
// Mastodon server): /@user/ID, /@user@remote.host/ID, /users/user/statuses/ID, each optionally
// followed by /embed -> "mastodon/<host>/<id>". The id is local to HOST, so HOST is the server
// to ask. InvalidArgument, saying why, for anything else.
Result<std::string> ParseMastodonPostRef(std::string_view input);

// A Bluesky post: https://bsky.app/profile/ACTOR/post/RKEY, at://ACTOR/app.bsky.feed.post/RKEY or
// https://embed.bsky.app/embed/DID/app.bsky.feed.post/RKEY, where ACTOR is a DID or a handle.
struct BlueskyRef {
  std::string did;     // set when the reference names the DID
  std::string handle;  // otherwise the handle (lower case), which must be resolved to a DID
  std::string rkey;
};
Result<BlueskyRef> ParseBlueskyPostRef(std::string_view input);
bool IsBlueskyHost(std::string_view host);

// What a user or a page names as a post, on any of the three networks.
struct PostRef {
  std::string key;  // the post key, when the reference names the post fully
  // A Bluesky URL by handle (key empty): the post is bsky/<DID of bsky_handle>/<bsky_rkey>.
  std::string bsky_handle;
  std::string bsky_rkey;
  std::string input;  // as given
  // A Mastodon-shaped URL on a host nothing says is a Mastodon server (a link in an article, not
  // an embed): archiving asks the host, and one that does not answer the Mastodon API makes it
  // "not a post" rather than a failed one.
  bool unverified = false;
  bool NeedsResolving() const { return key.empty(); }
};

// Whether two references name the same post: the same key, or (not resolved yet) the same
// Bluesky handle and record key.
inline bool SamePost(const PostRef& a, const PostRef& b) {
  return a.key == b.key && a.bsky_handle == b.bsky_handle && a.bsky_rkey == b.bsky_rkey;
}

// A post key; an X id or URL (ParseXPostRef); a Bluesky or Mastodon post URL. InvalidArgument,
// with the most specific reason, for anything else.
Result<PostRef> ParsePostRef(std::string_view input,
                             const std::vector<std::string>& extra_hosts = {});

// A post key as given, or the key of a post URL or bare id. InvalidArgument otherwise, also
// for a Bluesky URL by handle (resolving it needs the network; see fetcher/bluesky/bluesky.h).
Result<std::string> PostKeyFromRef(std::string_view input,
                                   const std::vector<std::string>& extra_hosts = {});

}  // namespace stillpost
