// The HTTP/1.1 server (Boost.Beast): async sessions on a pool of threads, keep-alive, header and
// body limits, read and idle timeouts, one request at a time per connection (pipelined requests
// wait in the read buffer), and a clean stop that finishes requests in flight. Routing is
// routes.h; no exception leaves a handler, and no response carries a stack trace.
//   Server server(router, options); server.Start(); ... server.Stop(); server.Wait();
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/status.h"
#include "server/routes.h"

namespace stillpost::server {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // ADDRESS:PORT; port 0 picks a free one
  int threads = 0;                        // 0: the number of cores
  size_t header_limit = 16 << 10;
  size_t body_limit = 64 << 10;           // we take no bodies; a little slack for odd clients
  std::chrono::seconds read_timeout{30};  // to read a whole request once it started
  std::chrono::seconds idle_timeout{60};  // keep-alive connections with nothing to say
};

class Server {
 public:
  Server(Router& router, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. InvalidArgument for a bad address, Unavailable when the port is taken.
  Status Bind();
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
