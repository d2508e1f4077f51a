// stillpost serve: the embeds, media, oEmbed and JSON API from the store, and (unless
// --replica) the store's writer: the archive API, durable jobs, pages embed.js reports and
// watched feeds (service/). docs/server.md has the threads and the write path.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "common/time.h"
#include "fetcher/rate_limit.h"
#include "server/log.h"
#include "server/routes.h"
#include "server/server.h"
#include "service/service.h"
#include "tools/stillpost/commands.h"
#include "tools/stillpost/jobs.h"

namespace stillpost::cli {
namespace {

namespace fs = std::filesystem;

// How often a replica replays what the writer wrote: new captures show within this plus a
// request.
constexpr auto kCatchUpEvery = std::chrono::milliseconds(1000);

// The credential file in the store directory: the CLI's way to the server that owns the store.
// Written whole (a temporary file renamed), readable by the store's owner only.
Status WriteServerFile(const std::string& db, const std::string& url, const std::string& token) {
  boost::json::object o;
  o["url"] = url;
  o["token"] = token;
  o["pid"] = static_cast<int64_t>(getpid());
  const fs::path path = fs::path(db) / kServerFile;
  const fs::path tmp = fs::path(db) / (std::string(kServerFile) + ".tmp");
  {
    const mode_t old = umask(077);
    std::ofstream out(tmp, std::ios::trunc);
    umask(old);
    if (!out) return UnavailableError("cannot write " + tmp.string());
    out << boost::json::serialize(o) << '\n';
    if (!out.flush()) return UnavailableError("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, ec);
  fs::rename(tmp, path, ec);
  if (ec) return UnavailableError("cannot write " + path.string() + ": " + ec.message());
  return Status::Ok();
}

// Removes the credential file if it is still ours (a newer server may have replaced it).
void RemoveServerFile(const std::string& db, const std::string& token) {
  if (auto handle = ServerOwning(db); handle && handle->token == token) {
    std::error_code ec;
    fs::remove(fs::path(db) / kServerFile, ec);
  }
}

// Where the CLI on this machine reaches a server listening on `host`.
std::string LocalHost(const std::string& host) {
  if (host == "0.0.0.0" || host.empty()) return "127.0.0.1";
  if (host == "[::]") return "[::1]";
  return host;
}

std::chrono::seconds Age(const std::string& text, std::chrono::seconds otherwise) {
  const auto s = DurationSeconds(text);
  return s && *s > 0 ? std::chrono::seconds(*s) : otherwise;
}

// The scheduler's, the host buckets', Jetstream's and the webhooks' options from the flags.
Status RecheckFrom(const ServeOptions& options, service::ServiceOptions& so) {
  service::RecheckOptions& r = so.recheck_options;
  so.recheck = options.recheck;
  if (!options.recheck_tiers.empty()) {
    r.tiers.clear();
    for (const auto& t : options.recheck_tiers) {
      const size_t eq = t.find('=');
      r.tiers.push_back({Age(t.substr(0, eq), std::chrono::hours(24)),
                         Age(t.substr(eq + 1), std::chrono::minutes(15))});
    }
    std::sort(r.tiers.begin(), r.tiers.end(),
              [](const auto& a, const auto& b) { return a.younger_than < b.younger_than; });
  }
  r.oldest_every = Age(options.recheck_oldest, r.oldest_every);
  r.floor = Age(options.recheck_floor, r.floor);
  r.hot_views = options.recheck_hot_views;
  r.jitter = options.recheck_jitter;
  if (!options.recheck_confirm.empty()) {
    r.confirm_after.clear();
    for (const auto& c : options.recheck_confirm)
      r.confirm_after.push_back(Age(c, std::chrono::minutes(2)));
  }
  r.gone_every = Age(options.recheck_gone_every, r.gone_every);
  if (!options.recheck_every.empty())
    r.SetEvery(Age(options.recheck_every, std::chrono::minutes(15)));

  fetcher::RateLimitOptions limits;
  for (const auto& text : options.rate_limits) {
    SP_ASSIGN_OR_RETURN(fetcher::BucketRule rule, fetcher::ParseBucketRule(text));
    limits.rules.push_back(std::move(rule));
  }
  limits.default_wait = Age(options.rate_limit_wait, limits.default_wait);
  limits.max_backoff = Age(options.rate_limit_backoff_max, limits.max_backoff);
  limits.circuit_after = options.circuit_after;
  limits.circuit_open_for = Age(options.circuit_open, limits.circuit_open_for);
  so.run.archive.http.limiter = std::make_shared<fetcher::HostLimiter>(std::move(limits));

  if (!options.jetstream.empty()) {
    so.jetstream.url = options.jetstream;
    so.jetstream.upstreams = so.run.archive.http.upstreams;
  }
  if (!options.webhooks.empty() && options.webhook_secret.empty()) {
    return InvalidArgumentError(
        "--webhook needs --webhook-secret (the receivers check the "
        "signature with it)");
  }
  so.changes.webhooks = options.webhooks;
  so.changes.secret = options.webhook_secret;
  so.changes.http.user_agent = so.run.archive.http.user_agent;
  so.changes.http.proxy = so.run.archive.http.proxy;
  return Status::Ok();
}

int Serve(const std::string& db, server::Router& router, const ServeOptions& options,
          server::Log& log, const std::function<void(const std::string& local_url)>& on_bound,
          const std::function<void()>& while_serving_done) {
  server::ServerOptions server_options;
  server_options.listen = options.listen;
  server_options.threads = options.threads;
  server_options.log = &log;
  server_options.max_body_bytes = options.max_body_bytes;
  server::Server srv(router, server_options);
  if (Status s = srv.Bind(); !s.ok()) return Fail(s);
  const std::string host = options.listen.substr(0, options.listen.rfind(':'));
  const std::string port = std::to_string(srv.port());
  router.set_public_base(options.public_url.empty() ? "http://" + host + ":" + port
                                                    : options.public_url);
  srv.StopOnSignals();
  srv.Run();
  on_bound("http://" + LocalHost(host) + ":" + port);
  std::cout << "serving " << db << " on http://" << host << ":" << port << std::endl;
  srv.Wait();
  while_serving_done();
  std::cout << "stopped" << std::endl;
  return kExitOk;
}

int ServeReplica(const GlobalOptions& global, const ServeOptions& options, server::Log& log) {
  std::string tmpl = (fs::temp_directory_path() / "stillpost-serve-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    return Fail(UnavailableError("cannot make a temporary directory"));
  }
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{tmpl};
  archive::StoreOptions store_options;
  store_options.block_cache_bytes = options.cache_mb << 20;
  auto store = archive::Store::OpenSecondary(global.db, tmpl, store_options);
  if (!store) return Fail(store.error());
  server::RouterOptions router_options;
  router_options.render_cache_entries = options.render_cache;
  server::Router router(**store, router_options);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread catch_up;
  auto started = [&](const std::string&) {
    catch_up = std::thread([&] {
      std::string last_error;
      std::unique_lock<std::mutex> lock(mu);
      while (!cv.wait_for(lock, kCatchUpEvery, [&] { return done; })) {
        lock.unlock();
        // Said once per new error, not every second while it lasts.
        Status s = (*store)->CatchUp();
        if (!s.ok() && s.ToString() != last_error) log.Error("catch-up", s.ToString());
        last_error = s.ok() ? "" : s.ToString();
        lock.lock();
      }
    });
  };
  auto stop = [&] {
    {
      std::lock_guard<std::mutex> lock(mu);
      done = true;
    }
    cv.notify_all();
    if (catch_up.joinable()) catch_up.join();
  };
  return Serve(global.db + " (replica)", router, options, log, started, stop);
}

}  // namespace

int RunServe(const GlobalOptions& global, const ServeOptions& options) {
  if (Status s = server::Server::CheckListen(options.listen); !s.ok()) {
    std::cerr << "stillpost: " << s.message() << '\n';
    return kExitUsage;
  }
  auto log = server::Log::Open(options.log, options.access_log);
  if (!log) return Fail(log.error());
  if (options.replica) return ServeReplica(global, options, **log);

  auto http = HttpOptionsFrom(options.fetch);
  if (!http) return UsageFail(http.error().message());
  service::ServiceOptions so;
  if (!options.tokens.empty()) {
    auto tokens = service::Tokens::Load(options.tokens);
    if (!tokens) return UsageFail(tokens.error().message());
    so.tokens = std::move(*tokens);
  }
  auto local = service::NewToken();
  if (!local) return Fail(local.error());
  so.local_token = *local;
  so.run.archive = ArchiveOptionsFrom(options.fetch, std::move(*http));
  so.run.max_feed_items = options.watch_max_items;
  for (const auto& o : options.auto_archive_origins) {
    auto normal = service::NormalizeOrigin(o);
    if (!normal) return UsageFail(normal.error().message());
    so.seen.origins.push_back(*normal);
  }
  so.seen.rescan_after = std::chrono::seconds(options.seen_rescan_seconds);
  so.seen.origin_budget_per_hour = options.seen_budget;
  so.watch = options.watch;
  so.watch_every = std::chrono::seconds(options.watch_every_seconds);
  if (Status s = RecheckFrom(options, so); !s.ok()) return UsageFail(s.message());

  // The server owns the store: it is its one writer (the CLI hands it work meanwhile).
  archive::StoreOptions store_options;
  store_options.block_cache_bytes = options.cache_mb << 20;
  auto store = archive::Store::Open(global.db, store_options);
  if (!store) {
    if (store.error().code() == StatusCode::kUnavailable) {
      return Fail(UnavailableError(
          "the store " + global.db +
          " is in use by another stillpost process (an archive run, or a server: serve "
          "--replica reads a store another process writes)"));
    }
    return Fail(store.error());
  }
  int code = kExitOk;
  {
    // Everything that reads the store (the router's caches pin its memory) goes before Close().
    service::Service service(**store, std::move(so));
    if (Status s = service.Start(); !s.ok()) return Fail(s);
    server::RouterOptions router_options;
    router_options.render_cache_entries = options.render_cache;
    server::Router router(**store, router_options);
    router.set_service(&service);
    std::string token = *local;
    auto bound = [&](const std::string& url) {
      service.SetPublicBase(options.public_url.empty() ? url : options.public_url);
      if (Status s = WriteServerFile(global.db, url, token); !s.ok()) {
        (*log)->Error("credential file", s.message());
      }
    };
    auto stopped = [&] {
      RemoveServerFile(global.db, token);
      service.Stop();
    };
    code = Serve(global.db, router, options, **log, bound, stopped);
    if (code != kExitOk) service.Stop();
  }
  if (Status s = (*store)->Close(); !s.ok()) return Fail(s);
  return code;
}

}  // namespace stillpost::cli
