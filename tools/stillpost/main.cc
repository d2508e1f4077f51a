// stillpost: archive social posts embedded in articles and serve them forever.
// `stillpost --help` lists the commands; `stillpost COMMAND --help` the options of one.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "common/numbers.h"
#include "common/version.h"
#include "common/web.h"
#include "server/server.h"
#include "service/service.h"
#include "tools/stillpost/commands.h"
#include "tools/stillpost/toml_config.h"

namespace {

using stillpost::cli::kExitUsage;

constexpr const char* kDefaultDb = "./stillpost.db";

// "--db, --json" for the options of `app`, so a usage error can say what is accepted.
std::string AcceptedOptions(const CLI::App& app) {
  std::string out;
  for (const CLI::Option* opt : app.get_options()) {
    std::string name = opt->get_name(false, true);
    if (name.empty()) continue;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string AcceptedCommands(CLI::App& app) {
  std::string out;
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (!out.empty()) out += ", ";
    out += sub->get_name();
  }
  return out;
}

// One line for a usage error, naming what the command accepts.
int UsageError(CLI::App& app, const CLI::ParseError& e) {
  const CLI::App* active = &app;
  for (const CLI::App* sub : app.get_subcommands()) active = sub;
  std::string line = std::string("stillpost: ") + e.what();
  if (active == &app) {
    line += " (commands: " + AcceptedCommands(app) + "; options: " + AcceptedOptions(app) + ")";
  } else {
    line += " (" + active->get_name() + " accepts: " + AcceptedOptions(*active) + ")";
  }
  return stillpost::cli::UsageFail(line.substr(std::string_view("stillpost: ").size()));
}

// The first word that is not an option (or the value of --db): the command the user asked for.
std::string RequestedCommand(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--db") {
      ++i;
      continue;
    }
    if (!arg.empty() && arg[0] != '-') return std::string(arg);
  }
  return "";
}

// "6h" as seconds; -1 when it is not a number and s, m, h or d.
long AgeSeconds(const std::string& age) { return stillpost::DurationSeconds(age).value_or(-1); }

}  // namespace

int Main(int argc, char** argv) {
  namespace cli = stillpost::cli;
  CLI::App app(
      "stillpost: archive the X, Mastodon and Bluesky posts embedded in articles, serve them "
      "forever",
      "stillpost");
  app.set_version_flag("--version", std::string("stillpost ") + stillpost::kVersion);
  app.require_subcommand(1, 1);
  // Global options may come before or after the command: `stillpost stats --db X` and
  // `stillpost --db X stats` are the same.
  app.fallthrough();

  cli::GlobalOptions global;
  const char* env_db = std::getenv("STILLPOST_DB");
  global.db = env_db != nullptr && *env_db != '\0' ? env_db : kDefaultDb;
  app.add_option("--db", global.db, "Store directory (default: $STILLPOST_DB, else ./stillpost.db)")
      ->option_text("PATH");
  // Each command's --json sets the same flag: it may come before or after the command.
  app.add_flag("--json", global.json, "JSON output (and JSON errors) for the commands that print");

  CLI::App* stats_cmd = app.add_subcommand("stats", "Counts of posts, captures and blobs");
  stats_cmd->add_flag("--json", global.json, "Print one JSON object");

  cli::ShowOptions show;
  CLI::App* show_cmd = app.add_subcommand(
      "show", "One post (state, latest capture, captures) or one article (its posts and states)");
  show_cmd
      ->add_option("post", show.key,
                   "Post key (x/20), post URL (X, Mastodon, Bluesky), X id, or an archived "
                   "article (its URL or the .html file it was archived from)")
      ->required();
  show_cmd->add_flag("--json", global.json, "Print one JSON object");

  cli::ListOptions list;
  CLI::App* list_cmd = app.add_subcommand("list", "The archived posts, one line each");
  list_cmd
      ->add_option(
          "--state", list.state,
          "Only posts in this state (gone: any way of being gone; never-found: the "
          "posts never captured whole, such as mistyped ids, which are left out otherwise)")
      ->check(CLI::IsMember({"live", "partial", "gone", "deleted", "not-found", "protected",
                             "suspended", "withheld", "never-found"}));
  list_cmd->add_option("--platform", list.platform, "Only posts of this network")
      ->check(CLI::IsMember({"x", "mastodon", "bsky"}));
  list_cmd->add_option("--article", list.article, "Only the posts of this archived article")
      ->option_text("URL|FILE");
  list_cmd->add_flag("--json", global.json, "One JSON object per post");

  cli::ExportOptions export_options;
  CLI::App* export_cmd = app.add_subcommand(
      "export",
      "Posts as a web archive: WACZ (signed) or WARC, every capture with its HTTP "
      "exchange, media, manifest and our embed");
  export_cmd->add_option("posts", export_options.posts, "Post keys, URLs or X ids")
      ->option_text("POST...");
  export_cmd
      ->add_option("--article", export_options.articles,
                   "An archived article (its URL or file): it and its posts")
      ->option_text("URL|FILE");
  export_cmd->add_flag("--all", export_options.all, "Every archived post");
  export_cmd->add_option("--wacz", export_options.wacz, "Write a WACZ 1.1.1 package")
      ->option_text("FILE");
  export_cmd->add_option("--warc", export_options.warc, "Write a .warc.gz")->option_text("FILE");
  export_cmd
      ->add_option("--public-url", export_options.public_url,
                   "Where the server is published: embeds are recorded at "
                   "URL/embed/KEY?capture=TIME (default https://stillpost.invalid)")
      ->option_text("URL");
  export_cmd->add_option("--title", export_options.title, "The package's title");
  export_cmd->add_flag("--json", global.json, "Print one JSON object");

  std::string import_file;
  CLI::App* import_cmd = app.add_subcommand(
      "import",
      "Restore a stillpost export (WACZ or .warc.gz) into the store: what is there "
      "stays, nothing is stored twice");
  import_cmd->add_option("file", import_file, "FILE.wacz or FILE.warc.gz")->required();
  import_cmd->add_flag("--json", global.json, "Print one JSON object");

  bool rotate = false;
  CLI::App* keys_cmd =
      app.add_subcommand("keys", "The keys the store signs its captures' manifests with");
  keys_cmd->add_flag("--json", global.json, "Print a JSON array");
  CLI::App* rotate_cmd = keys_cmd->add_subcommand(
      "rotate", "Retire the signing key and make a new one (the old one stays published)");
  rotate_cmd->callback([&rotate] { rotate = true; });

  cli::ArchiveOptions archive;
  CLI::App* archive_cmd = app.add_subcommand(
      "archive",
      "Capture X, Mastodon and Bluesky posts with their media: post URLs, keys or X ids, or "
      "articles (URL or .html file) whose embedded posts are found and captured");
  archive_cmd->add_option(
      "posts", archive.posts,
      "Post URLs (X, Mastodon, Bluesky), keys, X ids, or articles (URL or file)");
  archive_cmd
      ->add_option("--from", archive.from, "Read inputs from FILE (- for stdin), one per line")
      ->option_text("FILE");
  archive_cmd->add_flag("--json", global.json, "One JSON object per post instead of text");
  archive_cmd->add_flag("--force", archive.force,
                        "Store a new capture even when the post is unchanged since the last one");
  archive_cmd->add_flag("--whole-page", archive.whole_page,
                        "Articles: find posts anywhere on the page, not only in its main content "
                        "(sidebars, related stories and later stories included)");
  archive_cmd->add_flag("--dry-run", archive.dry_run,
                        "For articles: list the posts found (key, URL, how), fetch nothing");
  AddFetchFlags(*archive_cmd, archive.fetch);

  cli::RecheckOptions recheck;
  std::string older_than;
  CLI::App* recheck_cmd = app.add_subcommand(
      "recheck",
      "Fetch archived posts again; store a capture only when one changed (or repairs a partial "
      "one)");
  recheck_cmd->add_option("posts", recheck.posts, "Post keys, URLs or ids");
  recheck_cmd
      ->add_option("--article", recheck.article,
                   "The posts of this archived article (its URL or the file archived)")
      ->option_text("URL|FILE");
  recheck_cmd->add_flag("--all", recheck.all, "Every archived post");
  recheck_cmd
      ->add_option("--older-than", older_than,
                   "Only posts not checked for this long: 90s, 30m, 6h, 2d")
      ->option_text("AGE")
      ->check(CLI::Validator(
          [](std::string& v) {
            return AgeSeconds(v) < 0 ? "takes a number and s, m, h or d (like 6h), not '" + v + "'"
                                     : std::string();
          },
          "AGE"));
  recheck_cmd->add_flag("--json", global.json, "One JSON object per post instead of text");
  AddFetchFlags(*recheck_cmd, recheck.fetch);

  cli::HistoryOptions history;
  CLI::App* history_cmd =
      app.add_subcommand("history", "The capture timeline of a post and what changed");
  history_cmd->add_option("post", history.post, "Post key, URL or X id")->required();
  history_cmd->add_flag("--json", global.json, "Print one JSON object");

  cli::RewriteOptions rewrite;
  CLI::App* rewrite_cmd = app.add_subcommand(
      "rewrite",
      "Print a page with X's, Bluesky's and Mastodon's embed scripts swapped for our embed.js, all "
      "else unchanged");
  rewrite_cmd->add_option("page", rewrite.page, "The article: an .html file, a URL, or - (stdin)")
      ->required();
  const auto base_url = CLI::Validator(
      [](std::string& v) {
        return stillpost::IsHttpBaseUrl(v)
                   ? std::string()
                   : "takes an http(s) base URL such as https://archive.example or "
                     "https://news.example/archive, not '" +
                         v + "'";
      },
      "URL");
  rewrite_cmd
      ->add_option("--base", rewrite.base, "The archive's base URL (https://archive.example)")
      ->required()
      ->check(base_url);
  rewrite_cmd->add_flag("--iframes", rewrite.iframes,
                        "Replace each embed by our iframe (sized like the oEmbed answer) instead");
  AddFetchFlags(*rewrite_cmd, rewrite.fetch);

  cli::ServeOptions serve;
  CLI::App* serve_cmd = app.add_subcommand(
      "serve", "Serve embeds, media, oEmbed and the JSON API from the store over HTTP");
  serve_cmd->add_option("--listen", serve.listen, "ADDRESS:PORT (port 0 picks a free one)")
      ->capture_default_str()
      ->check(CLI::Validator(
          [](std::string& v) {
            const stillpost::Status s = stillpost::server::Server::CheckListen(v);
            return s.ok() ? std::string() : s.message();
          },
          "ADDRESS:PORT"));
  serve_cmd->add_option("--threads", serve.threads, "Worker threads (0: one per core)")
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  serve_cmd
      ->add_option("--public-url", serve.public_url,
                   "Base URL used in every URL we emit, a path prefix kept "
                   "(https://news.example/archive; default: http://LISTEN)")
      ->check(base_url);
  serve_cmd->add_option("--cache-mb", serve.cache_mb, "Block cache size")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  serve_cmd->add_option("--render-cache", serve.render_cache, "Rendered embeds kept in memory")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{10'000'000}));
  serve_cmd
      ->add_option("--log", serve.log,
                   "Append the access log (one line per request) and the error log here "
                   "(default: stderr)")
      ->option_text("FILE");
  serve_cmd->add_flag(
      "--no-access-log", [&serve](int64_t) { serve.access_log = false; }, "Log errors only");
  serve_cmd->add_flag("--replica", serve.replica,
                      "Read a store another process writes (follow it); no write routes");
  serve_cmd
      ->add_option("--tokens", serve.tokens,
                   "NAME:TOKEN lines (# comments): who may POST /api/v1/archive; without it the "
                   "write routes are off")
      ->option_text("FILE");
  serve_cmd
      ->add_option("--max-body-bytes", serve.max_body_bytes,
                   "Largest archive API request body (pages sent as HTML)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1024}, uint64_t{1} << 30));
  serve_cmd
      ->add_option("--auto-archive-origin", serve.auto_archive_origins,
                   "Archive pages of this origin (https://news.example) when embed.js finds "
                   "posts not archived yet (repeatable)")
      ->option_text("ORIGIN")
      ->check(CLI::Validator(
          [](std::string& v) {
            auto o = stillpost::service::NormalizeOrigin(v);
            return o ? std::string() : o.error().message();
          },
          "ORIGIN"));
  std::string seen_rescan = "10m", watch_every = "10m";
  const auto age = CLI::Validator(
      [](std::string& v) {
        return AgeSeconds(v) <= 0 ? "takes a number and s, m, h or d (like 10m), not '" + v + "'"
                                  : std::string();
      },
      "AGE");
  serve_cmd
      ->add_option("--seen-rescan-after", seen_rescan,
                   "A page embed.js reports is scanned again at most this often")
      ->capture_default_str()
      ->check(age);
  serve_cmd
      ->add_option("--seen-budget", serve.seen_budget,
                   "Pages of one origin archived on first view per hour, at most")
      ->capture_default_str()
      ->check(CLI::Range(1, 1'000'000));
  const auto feed_url = CLI::Validator(
      [](std::string& v) {
        return stillpost::IsHttpUrl(v) ? std::string()
                                       : "takes a feed's http(s) URL, not '" + v + "'";
      },
      "URL");
  serve_cmd
      ->add_option("--watch", serve.watch,
                   "Poll this feed (RSS, Atom, sitemap.xml, Google News sitemap) and archive "
                   "each new article (repeatable)")
      ->option_text("URL")
      ->check(feed_url);
  serve_cmd->add_option("--watch-every", watch_every, "How often each watched feed is read")
      ->capture_default_str()
      ->check(age);
  serve_cmd
      ->add_option("--watch-max-items", serve.watch_max_items,
                   "New articles taken from one feed per read (the rest: the next read)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100'000}));
  serve_cmd->add_flag("--recheck", serve.recheck,
                      "Re-check every archived post on a schedule of its own and announce "
                      "confirmed changes (/feeds/changes.atom, --webhook)");
  serve_cmd
      ->add_option("--recheck-every", serve.recheck_every,
                   "Every re-check interval and confirmation delay is this (tests, demos)")
      ->option_text("AGE")
      ->check(age);
  const auto tier = CLI::Validator(
      [](std::string& v) {
        const size_t eq = v.find('=');
        return eq != std::string::npos && AgeSeconds(v.substr(0, eq)) > 0 &&
                       AgeSeconds(v.substr(eq + 1)) > 0
                   ? std::string()
                   : "takes AGE=EVERY (like 24h=15m), not '" + v + "'";
      },
      "AGE=EVERY");
  serve_cmd
      ->add_option("--recheck-tier", serve.recheck_tiers,
                   "Posts whose newest article is younger than AGE are checked every EVERY "
                   "(repeatable; default 24h=15m 7d=1h 30d=6h 365d=7d)")
      ->check(tier);
  serve_cmd->add_option("--recheck-oldest", serve.recheck_oldest, "Older posts: every (30d)")
      ->option_text("AGE")
      ->check(age);
  serve_cmd->add_option("--recheck-floor", serve.recheck_floor, "No interval under this (5m)")
      ->option_text("AGE")
      ->check(age);
  serve_cmd
      ->add_option("--recheck-hot-views", serve.recheck_hot_views,
                   "Embed views since the last check that halve a post's interval")
      ->capture_default_str();
  serve_cmd->add_option("--recheck-jitter", serve.recheck_jitter, "± share of each interval")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.9));
  serve_cmd
      ->add_option("--recheck-confirm", serve.recheck_confirm,
                   "A first 'gone' is re-fetched after each of these before it is announced "
                   "(repeatable; default 2m 1h)")
      ->option_text("AGE")
      ->check(age);
  serve_cmd
      ->add_option("--recheck-gone-every", serve.recheck_gone_every,
                   "Confirmed-gone posts are checked this often, for a restore (30d)")
      ->option_text("AGE")
      ->check(age);
  serve_cmd
      ->add_option("--rate-limit", serve.rate_limits,
                   "HOST=N/AGE[,BURST]: a host's bucket (repeatable; HOST may be *.suffix)")
      ->check(CLI::Validator(
          [](std::string& v) {
            auto r = stillpost::fetcher::ParseBucketRule(v);
            return r ? std::string() : r.error().message();
          },
          "RULE"));
  serve_cmd
      ->add_option("--rate-limit-wait", serve.rate_limit_wait,
                   "After a 429 that says nothing of when to come back (60s)")
      ->option_text("AGE")
      ->check(age);
  serve_cmd
      ->add_option("--rate-limit-backoff-max", serve.rate_limit_backoff_max,
                   "Longest wait after 429s in a row (1h)")
      ->option_text("AGE")
      ->check(age);
  serve_cmd
      ->add_option("--circuit-after", serve.circuit_after,
                   "429/403 answers in a row that stop asking a host for --circuit-open")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  serve_cmd->add_option("--circuit-open", serve.circuit_open, "How long a circuit stays open (15m)")
      ->option_text("AGE")
      ->check(age);
  serve_cmd
      ->add_option("--jetstream", serve.jetstream,
                   "Subscribe to Bluesky's Jetstream (wss://jetstream2.us-east.bsky.network/"
                   "subscribe) for deletes of archived posts")
      ->option_text("URL")
      ->check(CLI::Validator(
          [](std::string& v) {
            return v.starts_with("wss://") || v.starts_with("ws://")
                       ? std::string()
                       : "takes a ws:// or wss:// URL, not '" + v + "'";
          },
          "URL"));
  serve_cmd
      ->add_option("--webhook", serve.webhooks,
                   "POST each confirmed change here, signed (repeatable)")
      ->option_text("URL")
      ->check(feed_url);
  serve_cmd
      ->add_option("--webhook-secret", serve.webhook_secret,
                   "The HMAC-SHA256 key of X-Stillpost-Signature (better in --config)")
      ->option_text("SECRET");
  AddFetchFlags(*serve_cmd, serve.fetch);
  // --config is the root's (CLI11 2.1 reads config files there, not on a subcommand); it falls
  // through from `serve --config FILE`, and its keys are serve's flags.
  app.set_config("--config", "", "serve: a TOML file whose keys are serve's flag names")
      ->option_text("FILE");
  app.config_formatter(std::make_shared<cli::TomlConfig>("serve"));
  app.allow_config_extras(CLI::config_extras_mode::error);

  cli::WatchOptions watch;
  CLI::App* watch_cmd = app.add_subcommand(
      "watch",
      "Read feeds once (RSS, Atom, sitemap.xml, Google News sitemap) and archive the "
      "articles each names for the first time");
  watch_cmd->add_option("feeds", watch.feeds, "Feed URLs")->required()->check(feed_url);
  watch_cmd->add_option("--max-items", watch.max_items, "New articles taken from one feed")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{100'000}));
  watch_cmd->add_flag("--json", global.json, "One JSON object per post instead of text");
  AddFetchFlags(*watch_cmd, watch.fetch);

  // Errors are JSON too when --json is anywhere on the line (known before parsing succeeds).
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--json") cli::SetJsonErrors(true);
  }
  const std::string requested = RequestedCommand(argc, argv);
  const auto known =
      app.get_subcommands([&](CLI::App* sub) { return sub->get_name() == requested; });
  if (!requested.empty() && known.empty()) {
    return cli::UsageFail("unknown command '" + requested +
                          "' (commands: " + AcceptedCommands(app) + ")");
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return UsageError(app, e);
  }

  if (stats_cmd->parsed()) return cli::RunStats(global);
  if (export_cmd->parsed()) return cli::RunExport(global, export_options);
  if (import_cmd->parsed()) return cli::RunImport(global, import_file);
  if (keys_cmd->parsed()) return cli::RunKeys(global, rotate);
  if (show_cmd->parsed()) return cli::RunShow(global, show);
  if (list_cmd->parsed()) return cli::RunList(global, list);
  if (archive_cmd->parsed()) return cli::RunArchive(global, archive);
  if (serve_cmd->parsed()) {
    serve.seen_rescan_seconds = AgeSeconds(seen_rescan);
    serve.watch_every_seconds = AgeSeconds(watch_every);
    return cli::RunServe(global, serve);
  }
  if (watch_cmd->parsed()) return cli::RunWatch(global, watch);
  if (history_cmd->parsed()) return cli::RunHistory(global, history);
  if (rewrite_cmd->parsed()) return cli::RunRewrite(global, rewrite);
  if (recheck_cmd->parsed()) {
    if (!older_than.empty()) recheck.older_than_seconds = AgeSeconds(older_than);
    return cli::RunRecheck(global, recheck);
  }
  return kExitUsage;
}

// No exception leaves a command: one that does is a bug, reported in one line.
int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    return stillpost::cli::Fail(stillpost::InternalError(std::string("unexpected: ") + e.what()));
  } catch (...) {
    return stillpost::cli::Fail(stillpost::InternalError("unexpected exception"));
  }
}
