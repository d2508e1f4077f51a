// How the writing commands (archive, recheck, watch) run their work: as a job (service/run.h),
// here in the store when no server holds it, or handed to the server that owns the store
// (`stillpost serve` writes a credential file into the store directory, stillpost-serve.json,
// mode 0600: its URL and a token of its own). Both print the same lines: an article line as each
// article is scanned, one line per post in input order, then the summary.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "archive/store.h"
#include "fetcher/archiver.h"
#include "service/run.h"
#include "stillpost.pb.h"
#include "tools/stillpost/commands.h"

namespace stillpost::cli {

// The file a running server leaves in the store directory.
inline constexpr const char* kServerFile = "stillpost-serve.json";

struct ServerHandle {
  std::string url;    // http://127.0.0.1:PORT
  std::string token;  // the local credential
};

// The server that says it owns the store at `db` (its credential file), or nullopt.
std::optional<ServerHandle> ServerOwning(const std::string& db);

// Prints what a job does, the same whether it runs here or on the server.
class JobPrinter {
 public:
  JobPrinter(bool json, bool recheck, bool dry_run = false)
      : json_(json), recheck_(recheck), dry_run_(dry_run) {}
  void Article(const proto::JobArticle& a);
  void Total(size_t posts) { total_ = posts; }
  // Outcomes in any order; lines come out in index order.
  void Outcome(const fetcher::PostOutcome& o);
  // The summary line, and the exit code.
  int Finish();

 private:
  void Line(const fetcher::PostOutcome& o);
  bool json_, recheck_, dry_run_;
  size_t total_ = 0;
  size_t next_ = 0;
  std::map<size_t, fetcher::PostOutcome> waiting_;
  size_t captured_ = 0, partial_ = 0, gone_ = 0, failed_ = 0, unchanged_ = 0, not_posts_ = 0,
         media_ = 0;
  uint64_t bytes_ = 0;
};

// Runs `job` here, in `store`; prints through `printer`; returns the exit code.
int RunJobHere(archive::Store& store, proto::Job job, const service::RunSettings& settings,
               JobPrinter& printer);
// Hands `job` to the server and follows it to its end, printing as it goes.
int RunJobThere(const ServerHandle& server, const proto::Job& job, JobPrinter& printer);

// The store for a writing command, or the server that owns it: exactly one is set. A store held
// by another process without a server's credential file is an error (Unavailable).
struct Writer {
  std::unique_ptr<archive::Store> store;
  std::optional<ServerHandle> server;
};
Result<Writer> OpenWriter(const GlobalOptions& global, bool create);

}  // namespace stillpost::cli
