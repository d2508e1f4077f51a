// Helpers for what the CLI prints: protobuf messages as JSON values, human-readable sizes.
#pragma once

#include <google/protobuf/message.h>

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace stillpost::cli {

// The message in protobuf's canonical JSON mapping (snake_case names as in the .proto).
boost::json::value ProtoToJson(const google::protobuf::Message& message);

// "1.4 MB", "512 B".
std::string HumanBytes(uint64_t bytes);

// Upstream text made safe for a terminal: C0 and C1 control characters (ESC, BEL, the OSC 52
// clipboard write, carriage return, ...) and DEL become U+FFFD, as does invalid UTF-8. A
// newline is kept when `keep_newlines` (a post's text), else it becomes a space (one-line
// fields); a tab stays.
std::string Printable(std::string_view text, bool keep_newlines = false);

}  // namespace stillpost::cli
