// Post keys name a post across stillpost: "x/<id>", "mastodon/<host>/<id>", "bsky/<did>/<rkey>".
// The same string is the path after /embed/ and /api/v1/posts/, and the key in the archive.
// ParsePostKey() is the one validator; everything that accepts a key from outside calls it.
// Thread safety: pure functions (no state, no I/O); call them from any thread.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace stillpost {

enum class KeyPlatform { kX, kMastodon, kBluesky };

// "x", "mastodon", "bsky": the key's first segment.
std::string_view KeyPlatformName(KeyPlatform platform);

struct ParsedPostKey {
  KeyPlatform platform = KeyPlatform::kX;
  std::string host;  // mastodon only: the server the id belongs to
  std::string did;   // bsky only
  std::string id;    // the status id (x, mastodon) or record key (bsky)
};

// Splits and validates a key. InvalidArgument, with the reason, for anything that is not one of
// the three forms: unknown platform, empty or malformed parts, characters outside each part's set.
Result<ParsedPostKey> ParsePostKey(std::string_view key);

// The canonical key string of a parsed key.
std::string FormatPostKey(const ParsedPostKey& key);

}  // namespace stillpost
