// stillpost watch FEED...: one read of each feed (conditional GET), its new articles archived.
// What each feed named is kept in the store, so an article is archived once.
#include "tools/stillpost/commands.h"
#include "tools/stillpost/jobs.h"

namespace stillpost::cli {

int RunWatch(const GlobalOptions& global, const WatchOptions& options) {
  if (options.feeds.empty()) return UsageFail("watch needs a feed URL (RSS, Atom or sitemap)");
  proto::Job job;
  for (const auto& feed : options.feeds) job.add_feeds(feed);  // http(s) URLs (main.cc checks)
  auto http = HttpOptionsFrom(options.fetch);
  if (!http) return UsageFail(http.error().message());
  auto writer = OpenWriter(global, /*create=*/true);
  if (!writer) return Fail(writer.error());
  JobPrinter printer(global.json, /*recheck=*/false);
  if (writer->server) return RunJobThere(*writer->server, job, printer);
  service::RunSettings settings;
  settings.archive = ArchiveOptionsFrom(options.fetch, std::move(*http));
  settings.max_feed_items = options.max_items;
  return RunJobHere(*writer->store, std::move(job), settings, printer);
}

}  // namespace stillpost::cli
