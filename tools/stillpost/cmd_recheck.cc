// stillpost recheck: fetch archived posts again and store a capture when something changed
// (edited, deleted, restored, repaired).
#include <google/protobuf/util/time_util.h>

#include "common/post_ref.h"
#include "common/time.h"
#include "proto/time.h"
#include "tools/stillpost/commands.h"

namespace stillpost::cli {

int RunRecheck(const GlobalOptions& global, const RecheckOptions& options) {
  auto http = HttpOptionsFrom(options.fetch);
  if (!http) return UsageFail(http.error().message());
  auto store = OpenStore(global, /*create=*/false);
  if (!store) return Fail(store.error());
  std::vector<std::string> keys;
  for (const auto& ref : options.posts) {
    auto key = PostKeyFromRef(ref, options.fetch.nitter_hosts);
    if (!key) return UsageFail(key.error().message());
    keys.push_back(*key);
  }
  if (!options.article.empty()) {
    auto a = FindArticle(**store, options.article);
    if (!a) return Fail(a.error());
    keys.insert(keys.end(), a->post_keys().begin(), a->post_keys().end());
  }
  if (options.all) {
    if (Status s = AppendPostKeys(**store, "", keys); !s.ok()) return Fail(s);
  }
  if (keys.empty() && options.posts.empty() && options.article.empty() && !options.all) {
    return UsageFail("recheck needs posts (keys, URLs or X ids), --article URL|FILE or --all");
  }
  const UnixMicros cutoff =
      NowMicros() - static_cast<UnixMicros>(options.older_than_seconds) * 1000000;
  std::vector<PostRef> refs;
  for (const auto& key : keys) {
    auto state = (*store)->StateSummary(key);
    if (!state) return Fail(state.error());
    if (options.older_than_seconds > 0 && proto::MicrosOf(state->last_checked()) > cutoff) {
      continue;
    }
    PostRef ref;
    ref.key = key;
    ref.input = key;
    refs.push_back(std::move(ref));
  }
  return ArchiveRefs(**store, refs, std::move(*http), options.fetch, global.json,
                     /*only_if_changed=*/true, /*recheck=*/true);
}

}  // namespace stillpost::cli
