// How stored records leave the archive as JSON.
//
// A post (`show --json`, `history --json`, GET /api/v1/posts/KEY) and a single capture are
// proto::PostView / proto::Capture, printed by protobuf's JSON printer (ViewJson): proto field
// names, 64-bit integers as strings, enums by their names ("PLATFORM_X"), times RFC 3339, absent
// fields left out. Lists (`list --json`, articles) are short summaries built here with
// Boost.JSON, using the same state words ("live", "deleted", "not_found").
//
// Only web links leave the archive: URL fields that are not http(s) are cleared first (upstream
// could have put javascript: in one), and text is made valid UTF-8.
// Thread safety: pure functions; call them from any thread.
#pragma once

#include <google/protobuf/message.h>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "stillpost.pb.h"

namespace stillpost::embed {

// `message` as JSON by protobuf's printer, after WebOnly(). Internal if the printer fails.
Result<std::string> ViewJson(const google::protobuf::Message& message);
// Clears every URL field (…url, …urls, target) that is not an http(s) URL and repairs invalid
// UTF-8 in every string, through the message and what it nests.
void WebOnly(google::protobuf::Message& message);

// "live", "partial" (live, its latest good capture incomplete: `state` carries latest_good), or
// why it is gone: "deleted", "protected", "suspended", "withheld", "not_found", "gone".
std::string StateWord(const proto::PostState& state);

// A signing key as `keys --json` and /.well-known/stillpost/keys.json give it: id, algorithm,
// public_key (SPKI, base64), valid_from, valid_until (null while in use), origin. Never the
// private part.
boost::json::object SigningKeyJson(const proto::SigningKey& key);
// The word for one capture: "post", "partial", or its tombstone's kind.
std::string CaptureWord(const proto::Capture& capture);

// A post's view: key, state word, since when, counts, the latest good capture (when `state`
// carries one) and one line per capture (when given: time, state word, HTTP status).
proto::PostView PostView(std::string_view key, const proto::PostState& state,
                         const std::vector<proto::Capture>& captures = {});
// The short form of a post for lists: key, state, since, author, text's first line, captures.
boost::json::object PostSummaryJson(std::string_view key, const proto::PostState& state);

// An article and its posts in article order, each with its state (PostSummaryJson), and the
// counts the newsroom asks for: {"url", "title", "scanned_at", "scope", "posts": [...],
// "counts": {"live": 3, "deleted": 1}}. `state_of` gives a post's state (with latest_good), or
// nullopt for a post not archived, which is {"key", "state": "not_archived"}.
boost::json::object ArticleJson(
    const proto::Article& article,
    const std::function<std::optional<proto::PostState>(const std::string& key)>& state_of);

}  // namespace stillpost::embed
