// The one JSON vocabulary of stillpost: what `show --json`, `history --json`, `list --json` and
// the API print for stored records. Numbers are JSON numbers, enums lower-case words without
// their prefix ("live", "photo", "not_found"), times RFC 3339 strings, and absent parts are left
// out (no "card": {}). URL fields that are not http(s) are left out too: only web links leave
// the archive (upstream could have put javascript: in one).
#pragma once

#include <google/protobuf/message.h>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stillpost.pb.h"

namespace stillpost::embed {

// Any of our messages in the vocabulary above; an empty message is an empty object.
boost::json::object MessageJson(const google::protobuf::Message& message);

// "live", "partial" (live, its latest good capture incomplete: `state` carries latest_good), or
// why it is gone: "deleted", "protected", "suspended", "withheld", "not_found", "gone".
std::string StateWord(const proto::PostState& state);
// The word for one capture: "post", "partial", or its tombstone's kind.
std::string CaptureWord(const proto::Capture& capture);

// A post as the API and `show --json` give it: key, state word, since when, counts, the latest
// good capture (when there is one) and, when given, one line per capture.
//   {"key", "state", "gone_since"?, "first_seen", "last_checked", "capture_count",
//    "latest_good"?: {capture}, "captures"?: [{"captured_at", "state", "http_status"?}]}
// `state` may carry latest_good; `captures` empty leaves "captures" out.
boost::json::object PostJson(std::string_view key, const proto::PostState& state,
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
