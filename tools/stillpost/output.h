// Helpers for what the CLI prints: counted nouns, human-readable sizes, terminal-safe text.
// JSON output uses embed/view_json.h, the vocabulary the API shares.
#pragma once

#include <google/protobuf/message.h>

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace stillpost::cli {

// "photo", "video", "gif", "audio", "media".
std::string MediaKindName(int kind);

// "3 posts", "1 post".
std::string Plural(uint64_t n, std::string_view one, std::string_view many = {});

// "1.4 MB", "512 B".
std::string HumanBytes(uint64_t bytes);

// Upstream text made safe for a terminal: C0 and C1 control characters (ESC, BEL, the OSC 52
// clipboard write, carriage return, ...) and DEL become U+FFFD, as does invalid UTF-8. A
// newline is kept when `keep_newlines` (a post's text), else it becomes a space (one-line
// fields); a tab stays.
std::string Printable(std::string_view text, bool keep_newlines = false);

}  // namespace stillpost::cli
