// Who may ask the server to archive: `serve --tokens FILE`, one NAME:TOKEN per line (# comments,
// blank lines skipped). A request names a token in `Authorization: Bearer TOKEN`; the name is
// recorded with each job it submits. Tokens are compared in constant time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace stillpost::service {

// Thread safety: immutable once loaded; Authenticate() may run on any thread.
class Tokens {
 public:
  Tokens() = default;
  // InvalidArgument (with the line number) for a line that is not NAME:TOKEN, a name used twice,
  // or a token shorter than 16 characters; NotFound when the file cannot be read.
  static Result<Tokens> Load(const std::string& path);
  // Adds one token (the CLI's local credential). InvalidArgument as Load().
  Status Add(std::string name, std::string token);
  // The name of the token an Authorization header carries ("Bearer TOKEN"); empty when it names
  // none. Every stored token is compared, each in constant time, whatever matches.
  std::string Authenticate(std::string_view authorization) const;
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string name;
    std::string digest;  // SHA-256 of the token: equal lengths, so the comparison leaks none
  };
  std::vector<Entry> entries_;
};

// 32 random bytes as 64 hex digits (OpenSSL's RAND_bytes): a fresh credential.
Result<std::string> NewToken();

// 16 hex digits of `now` (µs, so ids sort by time), then `random_bytes` random bytes in hex: the
// ids of jobs (8 random bytes) and of announced changes (4).
Result<std::string> NewTimeOrderedId(UnixMicros now, size_t random_bytes);

}  // namespace stillpost::service
