// Bluesky (AT Protocol): the public AppView's endpoints, handle and PDS resolution, and mapping a
// getPostThread answer to our Post. Formats and edge cases: ../shared/PLATFORMS.md §3. URL
// recognition is in common/post_ref.h.
//
// Videos: a post's video is an HLS playlist of MPEG-TS segments on video.bsky.app, which no
// browser's <video> plays as one file without remuxing. stillpost stores the original blob
// instead — the mp4 the author uploaded, exactly the bytes the record's CID names — fetched with
// com.atproto.sync.getBlob from the author's PDS (found through the DID document). One request,
// playable everywhere, and checkable against the CID.
// Thread safety: pure functions (no state, no I/O); call them from any thread.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/post_key.h"
#include "common/status.h"
#include "fetcher/mapped.h"

namespace stillpost::fetcher {
class Adapter;
}  // namespace stillpost::fetcher

namespace stillpost::fetcher::bluesky {

// https://public.api.bsky.app/xrpc/com.atproto.identity.resolveHandle?handle=HANDLE
std::string ResolveHandleUrl(std::string_view handle);
// The DID of a resolveHandle answer; InvalidArgument when it has none.
Result<std::string> ParseResolveHandle(std::string_view body);

// https://public.api.bsky.app/xrpc/app.bsky.feed.getPostThread?uri=at://DID/app.bsky.feed.post/RKEY&depth=0&parentHeight=1
std::string PostThreadUrl(std::string_view did, std::string_view rkey);

// https://public.api.bsky.app/xrpc/app.bsky.feed.getPosts?uris=at://...&uris=... (at most
// kGetPostsLimit URIs, the AppView's own limit).
inline constexpr size_t kGetPostsLimit = 25;
std::string GetPostsUrl(std::span<const ParsedPostKey> keys);
// The posts a getPosts answer holds: bsky/DID/RKEY -> CID. InvalidArgument when it has no
// "posts" array; entries that are not a post's view are skipped.
Result<std::map<std::string, std::string>> ParseGetPosts(std::string_view body);

// Maps a getPostThread answer (HTTP 200) for bsky/DID/RKEY: a threadViewPost, or a notFoundPost
// or blockedPost (gone). Facets count UTF-8 bytes: each is converted to code points, and one off
// a character boundary, past the end or malformed is skipped. Fields of the wrong type
// elsewhere fail with InvalidArgument naming the field.
Result<MappedPost> MapPostThread(std::string_view body, std::string_view did,
                                 std::string_view rkey);

// What an error answer means: XRPC 400 {"error":"NotFound"} is a tombstone; nullopt otherwise.
std::optional<proto::Tombstone> TombstoneFor(int http_status, std::string_view body);

// Where a DID's document is: https://plc.directory/DID for did:plc,
// https://HOST/.well-known/did.json for did:web:HOST; empty for other methods.
std::string DidDocumentUrl(std::string_view did);
// The atproto PDS endpoint of a DID document (service #atproto_pds); InvalidArgument if none.
Result<std::string> PdsFromDidDocument(std::string_view body);
// PDS/xrpc/com.atproto.sync.getBlob?did=DID&cid=CID
std::string GetBlobUrl(std::string_view pds, std::string_view did, std::string_view cid);
// Whether `data` is the blob a CIDv1 (raw codec, sha2-256, base32 "bafkrei...") names;
// nullopt when the CID is of another form and cannot be checked.
std::optional<bool> BlobMatchesCid(std::string_view data, std::string_view cid);

// This network's row in the adapter table (fetcher/adapter.h).
const Adapter& GetAdapter();

}  // namespace stillpost::fetcher::bluesky
