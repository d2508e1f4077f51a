// `stillpost serve` as the service that archives on its own: the archive API (POST
// /api/v1/archive, GET /api/v1/jobs/ID) behind bearer tokens, pages reported by embed.js
// (POST /api/v1/seen) from allowed origins, rate-limited, and watched feeds polled on an
// interval. Every piece of work becomes a durable job (jobs.h). The server's routes call the
// methods here; each answers at once (a store write at most), the work runs on the queue's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "archive/store.h"
#include "service/changes.h"
#include "service/jetstream.h"
#include "service/jobs.h"
#include "service/origin.h"
#include "service/run.h"
#include "service/scheduler.h"
#include "service/tokens.h"

namespace stillpost::service {

struct SeenOptions {
  std::vector<std::string> origins;        // --auto-archive-origin, normalized
  std::chrono::seconds rescan_after{600};  // a page is scanned at most this often
  int origin_budget_per_hour = 60;         // pages accepted per origin per hour
};

struct ServiceOptions {
  RunSettings run;
  Tokens tokens;            // --tokens: who may use the archive API over the network
  std::string local_token;  // the CLI's credential (kept in the store directory): name "local"
  SeenOptions seen;
  std::vector<std::string> watch;  // --watch feeds
  std::chrono::seconds watch_every{600};
  size_t max_unfinished_jobs = 10'000;
  size_t max_inputs_per_job = 10'000;
  // --recheck: the scheduler (with its options); --jetstream; the announcements (--webhook).
  // The host limiter is run.archive.http.limiter, shared by jobs, re-checks and Jetstream's
  // fetches.
  bool recheck = false;
  RecheckOptions recheck_options;
  JetstreamOptions jetstream;  // off when url is empty
  ChangesOptions changes;
};

// An answer for the server to send: a JSON body, or an error the server answers with its one
// Status → HTTP mapping (server/detail/http_status.h: InvalidArgument 400, PermissionDenied 403,
// NotFound 404, ResourceExhausted 429, Unavailable 503, others 500 without details).
struct ApiReply {
  Status error;                  // not ok: the answer is this error
  bool unauthenticated = false;  // with `error`: 401 and WWW-Authenticate, whatever its code
  int status = 200;              // ok: 200 or 202
  std::string body;              // ok: JSON
  std::string allow_origin;      // Access-Control-Allow-Origin, when set
  int retry_after = 0;           // seconds (429, 503)
  std::string location;          // a new job's URL path
  std::string content_type;      // ok: when not JSON
};

// Thread safety: every method may be called from any thread once Start() returned.
class Service {
 public:
  Service(archive::Store& store, ServiceOptions options);
  ~Service();  // Stop()
  Status Start();
  void Stop();

  // POST /api/v1/archive: {"urls": [...], "pages": [{"url","html"}], "feeds": [...],
  // "force", "whole_page", "recheck"} → 202 {"job": ID, ...}; 401 without a valid token (404
  // when no network tokens are configured and the local one is not given); 400 for bad input;
  // 503 (Unavailable) when too many jobs wait.
  ApiReply Archive(std::string_view authorization, std::string_view body);
  // GET /api/v1/jobs/ID: the job's state and outcomes (the same credentials).
  ApiReply Job(std::string_view authorization, std::string_view id);
  // POST /api/v1/seen: {"page": URL} from embed.js. 404 when no origin is allowed; 403 for a
  // page (or an Origin header) of another origin; 429 over the origin's budget; 200 "recent"
  // when the page was scanned lately; 202 "accepted" with the job otherwise.
  ApiReply Seen(std::string_view origin_header, std::string_view body);
  // GET /feeds/changes.atom[?article=URL]: the confirmed changes (changes.h); 404 for an
  // article the store does not hold.
  ApiReply ChangesFeed(std::string_view article) const;
  // The origin embeds are served from, once the server is bound (links in announcements).
  void SetPublicBase(std::string base) { changes_.SetPublicBase(std::move(base)); }
  // An embed of `key` was served (the scheduler checks hot posts more often).
  void CountView(std::string_view key);
  // Prometheus text: jobs by state, queue depth, archive latency, seen decisions, feed reads;
  // the scheduler's lag, checks and transitions, the hosts' buckets and circuits, Jetstream,
  // webhook deliveries.
  std::string Metrics() const;

 private:
  std::string Authenticate(std::string_view authorization) const;
  void Watcher();
  void CountSeen(std::string_view decision);
  std::string ExtraMetrics() const;

  archive::Store& store_;
  ServiceOptions options_;
  Tokens local_;  // the CLI's credential, as a token named "local"
  Changes changes_;
  std::unique_ptr<Scheduler> scheduler_;  // --recheck (or --jetstream)
  std::unique_ptr<Jetstream> jetstream_;
  JobQueue queue_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread watcher_;
  std::map<std::string, uint64_t> seen_decisions_;
  // Per origin: pages accepted in the current hour and when that hour began (µs).
  std::map<std::string, std::pair<int, int64_t>> budgets_;
  std::map<std::string, uint64_t> watch_submitted_;
};

// A job as the API shows it (and the CLI reads back: ParseJobJson).
std::string JobJson(const JobView& view);
// The CLI's reading of JobJson: the job's state words, articles and outcomes.
Result<JobView> ParseJobJson(std::string_view json);

}  // namespace stillpost::service
