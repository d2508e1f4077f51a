// Recognising what a user or a page gives as "a post": a post key, a post URL, or a bare X id.
// Shared by the CLI, the fetcher and the server's oEmbed endpoint.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace stillpost {

// The ID of the X post that `input` names: a bare numeric ID, or a URL on twitter.com / x.com
// (www., mobile., m.), fxtwitter.com, vxtwitter.com, fixupx.com, fixvx.com or one of
// `extra_hosts` (nitter instances), in any of the forms /USER/status/ID, /USER/statuses/ID,
// /i/web/status/ID, /i/status/ID, with /photo/N or /video/N after, #!/USER/status/ID, any query
// or fragment. InvalidArgument, saying why, for anything else (a profile, a hashtag, a search,
// an intent/share link, another site).
Result<std::string> ParseXPostRef(std::string_view input,
                                  const std::vector<std::string>& extra_hosts = {});

// True when `host` (no port) is one of X's own hosts or their mirrors, or one of `extra_hosts`.
bool IsXHost(std::string_view host, const std::vector<std::string>& extra_hosts = {});

// A post key as given, or the key of a post URL or bare id. InvalidArgument otherwise.
Result<std::string> PostKeyFromRef(std::string_view input,
                                   const std::vector<std::string>& extra_hosts = {});

}  // namespace stillpost
