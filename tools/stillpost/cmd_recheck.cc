// stillpost recheck: fetch archived posts again and store a capture when something changed
// (edited, deleted, restored, repaired).
#include <google/protobuf/util/time_util.h>

#include "common/post_ref.h"
#include "common/time.h"
#include "proto/time.h"
#include "tools/stillpost/commands.h"
#include "tools/stillpost/jobs.h"

namespace stillpost::cli {

int RunRecheck(const GlobalOptions& global, const RecheckOptions& options) {
  auto http = HttpOptionsFrom(options.fetch);
  if (!http) return UsageFail(http.error().message());
  // The posts are chosen from the store as it stands: read here, also when a server owns it.
  auto writer = OpenWriter(global, /*create=*/false);
  if (!writer) return Fail(writer.error());
  std::unique_ptr<archive::Store> reader;
  if (writer->server) {
    auto r = OpenStoreForReading(global);
    if (!r) return Fail(r.error());
    reader = std::move(*r);
  }
  archive::Store* store = writer->server ? reader.get() : writer->store.get();
  std::vector<std::string> keys;
  for (const auto& ref : options.posts) {
    auto key = PostKeyFromRef(ref, options.fetch.nitter_hosts);
    if (!key) return UsageFail(key.error().message());
    keys.push_back(*key);
  }
  if (!options.article.empty()) {
    auto a = FindArticle(*store, options.article);
    if (!a) return Fail(a.error());
    keys.insert(keys.end(), a->post_keys().begin(), a->post_keys().end());
  }
  if (options.all) {
    if (Status s = AppendPostKeys(*store, "", keys); !s.ok()) return Fail(s);
  }
  if (keys.empty() && options.posts.empty() && options.article.empty() && !options.all) {
    return UsageFail("recheck needs posts (keys, URLs or X ids), --article URL|FILE or --all");
  }
  const UnixMicros cutoff =
      NowMicros() - static_cast<UnixMicros>(options.older_than_seconds) * 1000000;
  proto::Job job;
  job.set_recheck(true);
  for (const auto& key : keys) {
    auto state = store->StateSummary(key);
    if (!state) return Fail(state.error());
    if (options.older_than_seconds > 0 && proto::MicrosOf(state->last_checked()) > cutoff) {
      continue;
    }
    job.add_inputs(key);
  }
  JobPrinter printer(global.json, /*recheck=*/true);
  if (job.inputs_size() == 0) return printer.Finish();
  if (writer->server) return RunJobThere(*writer->server, job, printer);
  service::RunSettings settings;
  settings.archive = ArchiveOptionsFrom(options.fetch, std::move(*http));
  return RunJobHere(*writer->store, std::move(job), settings, printer);
}

}  // namespace stillpost::cli
