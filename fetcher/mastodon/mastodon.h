// Mastodon: the public status API of any server and mapping a Status to our Post. Formats and
// edge cases: ../shared/PLATFORMS.md §2. URL recognition is in common/post_ref.h.
//   ParseMastodonPostRef("https://mastodon.social/@Gargron/1") -> "mastodon/mastodon.social/1"
//   StatusUrl("mastodon.social", "1") -> "https://mastodon.social/api/v1/statuses/1"
// Thread safety: pure functions (no state, no I/O); call them from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "fetcher/mapped.h"

namespace stillpost::fetcher {
class Adapter;
}  // namespace stillpost::fetcher

namespace stillpost::fetcher::mastodon {

// https://HOST/api/v1/statuses/ID: public statuses need no token.
std::string StatusUrl(std::string_view host, std::string_view id);

// Maps a Status (an HTTP 200 body) from server `host` (the post key's host: ids are local to
// it). Content HTML is sanitised (fetcher/html_text.h) before anything is kept; custom emoji
// become entities whose images are media; a boost (`reblog`) maps the boosted status, under
// its own key, and says so in `note`. Fields of the wrong type fail with InvalidArgument naming
// the field.
Result<MappedPost> MapStatus(std::string_view body, std::string_view host);

// What an error answer means: 404 and 410 are a tombstone (Mastodon answers 404 "Record not
// found" for deleted, missing and private statuses alike); nullopt for anything else (401 on
// servers that require a login, 5xx), which is a failure, not a gone post.
std::optional<proto::Tombstone> TombstoneFor(int http_status, std::string_view body);

// This network's row in the adapter table (fetcher/adapter.h).
const Adapter& GetAdapter();

}  // namespace stillpost::fetcher::mastodon
