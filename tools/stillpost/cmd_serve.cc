#include <stdlib.h>

#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "server/log.h"
#include "server/routes.h"
#include "server/server.h"
#include "tools/stillpost/commands.h"

namespace stillpost::cli {
namespace {

// How often the server replays what `stillpost archive` (another process) wrote: new captures
// show within this plus a request.
constexpr auto kCatchUpEvery = std::chrono::milliseconds(1000);

}  // namespace

int RunServe(const GlobalOptions& global, const ServeOptions& options) {
  if (Status s = server::Server::CheckListen(options.listen); !s.ok()) {
    std::cerr << "stillpost: " << s.message() << '\n';
    return kExitUsage;
  }
  // The server reads through a RocksDB secondary instance, so `stillpost archive` keeps the
  // store's single-writer lock and can run while the server does (docs/ARCHITECTURE.md).
  std::string tmpl = (std::filesystem::temp_directory_path() / "stillpost-serve-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    return Fail(UnavailableError("cannot make a temporary directory"));
  }
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{tmpl};

  auto log = server::Log::Open(options.log, options.access_log);
  if (!log) return Fail(log.error());

  archive::StoreOptions store_options;
  store_options.block_cache_bytes = options.cache_mb << 20;
  auto store = archive::Store::OpenSecondary(global.db, tmpl, store_options);
  if (!store) return Fail(store.error());

  server::RouterOptions router_options;
  router_options.render_cache_entries = options.render_cache;
  server::Router router(**store, router_options);
  server::ServerOptions server_options;
  server_options.listen = options.listen;
  server_options.threads = options.threads;
  server_options.log = log->get();
  server::Server srv(router, server_options);
  if (Status s = srv.Bind(); !s.ok()) return Fail(s);
  const std::string host = options.listen.substr(0, options.listen.rfind(':'));
  const std::string base = options.public_url.empty()
                               ? "http://" + host + ":" + std::to_string(srv.port())
                               : options.public_url;
  router.set_public_base(base);
  srv.StopOnSignals();
  srv.Run();
  std::cout << "serving " << global.db << " on http://" << host << ":" << srv.port() << std::endl;

  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::string last_error;
  std::thread catch_up([&] {
    std::unique_lock<std::mutex> lock(mu);
    while (!cv.wait_for(lock, kCatchUpEvery, [&] { return done; })) {
      lock.unlock();
      // Said once per new error, not every second while it lasts.
      Status s = (*store)->CatchUp();
      if (!s.ok() && s.ToString() != last_error) (*log)->Error("catch-up", s.ToString());
      last_error = s.ok() ? "" : s.ToString();
      lock.lock();
    }
  });
  srv.Wait();
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  catch_up.join();
  std::cout << "stopped" << std::endl;
  return kExitOk;
}

}  // namespace stillpost::cli
