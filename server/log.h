// The server's logs: an access log (one line per request) and an error log (one line per I/O
// error, exception caught or failed store read), to one destination: stderr, or a file given by
// `serve --log FILE` (appended to; reopened by nothing: rotate with copytruncate).
//
//   access: 127.0.0.1 - - [01/Dec/2026:14:00:00 +0000] "GET /embed/x/20 HTTP/1.1" 200 10057 "-"
//   "curl/7.88" 0.000412 embed error:  2026-12-01T14:00:00Z error embed: GET /embed/x/20: data
//   loss: store ... is corrupt
//
// The access lines are the Combined Log Format with the time taken (seconds) and the route
// appended, so standard log tools read them. They are buffered and written at least once a
// second (and when 64 KiB are pending); error lines are written at once, after what is pending.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace stillpost::server {

class Log {
 public:
  // To `path` (created or appended to), or stderr when `path` is empty. Unavailable when the
  // file cannot be opened.
  static Result<std::unique_ptr<Log>> Open(const std::string& path, bool access = true);
  ~Log();  // writes what is pending
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  struct Access {
    std::string_view client;  // the peer's address
    std::string_view method;
    std::string_view target;
    unsigned version = 11;  // 10, 11
    int status = 0;
    size_t bytes = 0;  // body bytes sent
    std::string_view referer;
    std::string_view user_agent;
    double seconds = 0;
    std::string_view route;
  };
  // One access line (nothing when the access log is off).
  void Request(const Access& a);
  // One error line: "TIME error WHAT: DETAIL".
  void Error(std::string_view what, std::string_view detail);
  // Writes what is pending now.
  void Flush();

 private:
  struct Impl;
  explicit Log(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stillpost::server
