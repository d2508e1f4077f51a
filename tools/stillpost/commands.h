// The stillpost CLI's subcommands. main.cc parses the command line with CLI11 and calls one Run*
// function; each returns the process exit code and prints its own errors as one line on stderr.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "archive/store.h"
#include "common/post_ref.h"
#include "common/status.h"
#include "fetcher/archiver.h"
#include "fetcher/http.h"
#include "tools/stillpost/fetch_flags.h"

namespace stillpost::cli {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and something failed
inline constexpr int kExitUsage = 2;    // the command line was wrong
inline constexpr int kExitPartial = 3;  // archive/recheck: nothing failed, some captures partial

struct GlobalOptions {
  std::string db;     // --db, else $STILLPOST_DB, else ./stillpost.db
  bool json = false;  // --json, before or after the command: JSON output, and errors as JSON too
};

// Prints "stillpost: <message>" on stderr and returns kExitFailure. With --json, the error is
// one JSON object on stdout as well ({"error": "...", "code": "not_found"}).
int Fail(const Status& status);
// The same for a usage error (kExitUsage).
int UsageFail(const std::string& message);
// Whether errors are also printed as JSON (set once from the command line).
void SetJsonErrors(bool json);

// Opens the store named by the global options for writing; `create` makes it when missing.
Result<std::unique_ptr<archive::Store>> OpenStore(const GlobalOptions& global, bool create);
// Opens it for reading only (show, history, stats): nothing is written, and a writer or a
// server may hold the store meanwhile. NotFound when there is no store.
Result<std::unique_ptr<archive::Store>> OpenStoreForReading(const GlobalOptions& global);

int RunStats(const GlobalOptions& global);

struct ListOptions {
  std::string state;     // live, deleted, gone, partial, not-found; empty: all
  std::string platform;  // x, mastodon, bsky; empty: all
  std::string article;   // URL or file archived: only its posts, in article order
};
int RunList(const GlobalOptions& global, const ListOptions& options);

// Every post key of `platform` ("x", "mastodon", "bsky"; empty: all three), in key order,
// appended to `keys`.
Status AppendPostKeys(const archive::Store& store, std::string_view platform,
                      std::vector<std::string>& keys);

// A post key as given, or what a post URL (any platform), at:// URI or bare X id names. What
// looks like a key and is not one gets the key's own reason.
Result<PostRef> RefOf(const std::string& input);

// Web archives (warc/): `export` writes posts as WACZ or .warc.gz, `import` brings one back,
// `keys` shows (and rotates) the key the store signs its captures' manifests with.
struct ExportOptions {
  std::vector<std::string> posts;     // keys, URLs, X ids
  std::vector<std::string> articles;  // archived articles (URL or file): their posts
  bool all = false;
  std::string wacz;  // output paths; one of them
  std::string warc;
  std::string public_url;  // where the embeds are published (default https://stillpost.invalid)
  std::string title;
};
int RunExport(const GlobalOptions& global, const ExportOptions& options);
int RunImport(const GlobalOptions& global, const std::string& file);
int RunKeys(const GlobalOptions& global, bool rotate);

// The archived article an input names: its URL (canonical or as fetched), or the file it was
// archived from (file://ABSOLUTE-PATH, or the canonical link inside the file).
Result<proto::Article> FindArticle(const archive::Store& store, const std::string& input);

struct ShowOptions {
  std::string key;
};
int RunShow(const GlobalOptions& global, const ShowOptions& options);

struct ArchiveOptions {
  std::vector<std::string> posts;  // post URLs (X, Mastodon, Bluesky), keys, X ids, articles
  std::string from;                // --from FILE, - for stdin
  bool force = false;              // store a capture even when nothing changed
  bool dry_run = false;            // articles: list what was found, fetch nothing
  bool whole_page = false;         // articles: scan the whole page, not only its main content
  FetchFlags fetch;
};
int RunArchive(const GlobalOptions& global, const ArchiveOptions& options);
// An article named by a file (or - for stdin) or an http(s) URL: its HTML and the URL it
// stands for.
Result<std::pair<std::string, std::string>> LoadPage(const std::string& input,
                                                     const fetcher::HttpOptions& http);

struct RecheckOptions {
  std::vector<std::string> posts;  // keys, URLs or ids
  std::string article;             // --article URL: the posts of an archived article
  bool all = false;
  long older_than_seconds = 0;  // --older-than: only posts not checked for this long
  FetchFlags fetch;
};
int RunRecheck(const GlobalOptions& global, const RecheckOptions& options);

struct HistoryOptions {
  std::string post;
};
int RunHistory(const GlobalOptions& global, const HistoryOptions& options);

struct RewriteOptions {
  std::string page;  // an .html file, an http(s) URL, or - for stdin
  std::string base;  // the archive's base URL, e.g. https://archive.example
  bool iframes = false;
  FetchFlags fetch;  // for a page given by URL
};
int RunRewrite(const GlobalOptions& global, const RewriteOptions& options);

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";
  int threads = 0;                     // 0: one per core
  std::string public_url;              // the origin embeds and oEmbed name; default http://LISTEN
  size_t cache_mb = 64;                // RocksDB block cache
  size_t render_cache = 4096;          // rendered embeds kept in memory
  std::string log;                     // --log FILE: access and error lines; stderr when empty
  bool access_log = true;              // --no-access-log: errors only
  uint64_t max_body_bytes = 16 << 20;  // the archive API's request bodies
  // --replica: read a store another process writes (a secondary), no write routes.
  bool replica = false;
  std::string tokens;  // --tokens FILE: NAME:TOKEN lines; the archive API is off without it
  FetchFlags fetch;    // the archiver's fetch flags, as archive takes them
  std::vector<std::string> auto_archive_origins;  // --auto-archive-origin ORIGIN
  long seen_rescan_seconds = 600;                 // --seen-rescan-after AGE
  int seen_budget = 60;                           // --seen-budget N pages/origin/hour
  std::vector<std::string> watch;                 // --watch FEED
  long watch_every_seconds = 600;                 // --watch-every AGE
  size_t watch_max_items = 100;                   // --watch-max-items N new articles per read
  // --recheck: the scheduler; its numbers (service/scheduler.h has the defaults) as AGE texts.
  bool recheck = false;
  std::string recheck_every;                 // --recheck-every AGE: every interval and delay
  std::vector<std::string> recheck_tiers;    // --recheck-tier AGE=EVERY (repeatable)
  std::string recheck_oldest;                // --recheck-oldest EVERY
  std::string recheck_floor;                 // --recheck-floor AGE
  uint64_t recheck_hot_views = 100;          // --recheck-hot-views N
  double recheck_jitter = 0.1;               // --recheck-jitter F
  std::vector<std::string> recheck_confirm;  // --recheck-confirm AGE (repeatable)
  std::string recheck_gone_every;            // --recheck-gone-every AGE
  std::vector<std::string> rate_limits;      // --rate-limit HOST=N/AGE[,BURST]
  std::string rate_limit_wait;               // --rate-limit-wait AGE (a 429 without a word)
  std::string rate_limit_backoff_max;        // --rate-limit-backoff-max AGE
  int circuit_after = 3;                     // --circuit-after N
  std::string circuit_open;                  // --circuit-open AGE
  std::string jetstream;                     // --jetstream URL
  std::vector<std::string> webhooks;         // --webhook URL
  std::string webhook_secret;                // --webhook-secret S
};
int RunServe(const GlobalOptions& global, const ServeOptions& options);

struct WatchOptions {
  std::vector<std::string> feeds;  // RSS, Atom, sitemap.xml or Google News sitemap URLs
  size_t max_items = 100;
  FetchFlags fetch;
};
// One read of each feed: its new articles archived (and remembered, so never twice).
int RunWatch(const GlobalOptions& global, const WatchOptions& options);

}  // namespace stillpost::cli
