// The HTTP/1.1 server (Boost.Beast): async sessions on a pool of threads, keep-alive, a header
// limit, RFC 9112's strict rules (Host, Transfer-Encoding, obs-fold; a request with a body is
// answered from its head unless its route takes one: the archive API's POSTs, capped), read, idle
// and write-progress timeouts, connection caps with idle shedding and a back-off when accept runs
// out of descriptors, one request at a time per connection (pipelined requests wait in the read
// buffer), and a clean stop that finishes requests in flight. Routing is routes.h; no exception
// leaves a handler, and no response carries a stack trace.
//   Server server(router, options); server.Start(); ... server.Stop(); server.Wait();
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/status.h"
#include "server/log.h"
#include "server/routes.h"

namespace stillpost::server {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // ADDRESS:PORT; port 0 picks a free one
  int threads = 0;                        // 0: the number of cores
  size_t header_limit = 16 << 10;
  // The largest request body read (the archive API's POSTs, which may carry a page's HTML);
  // a larger one is answered 413.
  uint64_t max_body_bytes = 16 << 20;
  std::chrono::seconds read_timeout{30};  // to read a whole request once it started
  std::chrono::seconds idle_timeout{60};  // keep-alive connections with nothing to say
  // A response may take as long as it takes to send (a large video on a slow link); a client
  // that takes none of it for this long is dropped.
  std::chrono::seconds write_progress_timeout{30};
  // Open connections at most, in total and from one client address. Past the total, the idle
  // connection that has waited longest is closed to make room; with none idle, the new one is.
  size_t max_connections = 10'000;
  size_t max_connections_per_client = 256;
  // When accept fails for want of file descriptors (EMFILE, ENFILE) or memory, accepting pauses
  // this long (doubling up to 1 s) and idle connections are shed, instead of spinning.
  std::chrono::milliseconds accept_backoff{10};
  // Where the access and error lines go (borrowed: must outlive the Server); none when null.
  Log* log = nullptr;
};

// Thread safety: Stop() may be called from any thread (and from a signal, via StopOnSignals);
// the other methods from the thread that owns the Server. The Server borrows `router` (and
// options.log), which must outlive it; the destructor stops and waits.
class Server {
 public:
  Server(Router& router, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. InvalidArgument for a bad address, Unavailable when the port is taken.
  Status Bind();
  // Whether `listen` is an ADDRESS:PORT Bind() takes (IPv6 in brackets): InvalidArgument if not.
  static Status CheckListen(const std::string& listen);
  int port() const;  // after Bind(): the bound port (the real one when 0 was asked for)
  // Starts accepting on the threads.
  void Run();
  // Bind() then Run().
  Status Start();
  // Stops accepting, lets requests in flight finish, closes idle connections. Thread-safe.
  void Stop();
  // Blocks until the threads are done (after Stop(), or a SIGINT/SIGTERM when handled).
  void Wait();
  // Stop() on SIGINT and SIGTERM.
  void StopOnSignals();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stillpost::server
