// Helpers for what the CLI prints: protobuf messages as JSON values, human-readable sizes.
#pragma once

#include <google/protobuf/message.h>

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>

namespace stillpost::cli {

// The message in protobuf's canonical JSON mapping (snake_case names as in the .proto).
boost::json::value ProtoToJson(const google::protobuf::Message& message);

// "1.4 MB", "512 B".
std::string HumanBytes(uint64_t bytes);

}  // namespace stillpost::cli
