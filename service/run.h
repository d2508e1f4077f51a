// One archive job, run to the end: its inputs expanded (articles fetched and scanned, feeds read
// for new articles), its posts archived, its articles stored. The one implementation behind
// `stillpost archive`/`recheck`/`watch` run locally and the server's jobs (jobs.h), so both
// print and store the same things.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "archive/store.h"
#include "common/post_ref.h"
#include "common/status.h"
#include "fetcher/archiver.h"
#include "fetcher/article.h"
#include "stillpost.pb.h"

namespace stillpost::service {

enum class InputKind { kPost, kArticle };

// What an input names: a post (a URL, key or X id: ParsePostRef) or an article (an http(s) URL
// that is not a page of X or Bluesky). InvalidArgument otherwise, with `archive`'s words. Files
// are the CLI's business: it sends their HTML (proto::Job::Page).
Result<InputKind> ClassifyInput(std::string_view input,
                                const std::vector<std::string>& nitter_hosts);

struct RunSettings {
  // The fetcher: HTTP options, nitter hosts, per-post bounds. `job` and `only_if_changed` are
  // set per job from the Job.
  fetcher::ArchiveOptions archive;
  size_t max_feed_items = 100;  // new articles taken from one feed per read (the rest: next read)
};

struct RunEvents {
  // Once the inputs are expanded, before any post is fetched (the server stores the expansion);
  // an error stops the job there.
  std::function<Status(const proto::Job&)> on_expanded;
  // Each article as it is scanned (in input order); not called again for a resumed job.
  std::function<void(const proto::JobArticle&)> on_article;
  // Each post as it finishes, in any order (PostOutcome::index: its place in Job.refs).
  std::function<void(const fetcher::PostOutcome&)> on_outcome;
};

// Expands the job's inputs into job.refs and job.articles (job.expanded), unless done already.
// `found`, when given, receives the scanned posts as the pages gave them (archive --dry-run).
// Errors: an article named directly that could not be fetched; a seen page (Job.seen_origin)
// that moved to another origin. Feed reads write the feed's state (ETag, what it named) only
// after on_expanded succeeded.
Status Expand(archive::Store* store, proto::Job& job, const RunSettings& settings,
              const RunEvents& events, std::vector<fetcher::FoundPost>* found = nullptr);

// Runs `job`: Expand(), then archives every ref that has no outcome in `known` (outcomes read
// back after a restart), then stores the job's articles with the keys found. Returns every
// ref's outcome, in order. Unavailable ("stopping") when the HTTP options' cancel flag was set:
// the job is then unfinished and may be run again.
Result<std::vector<fetcher::PostOutcome>> RunJob(
    archive::Store& store, proto::Job& job, const RunSettings& settings,
    const std::map<size_t, fetcher::PostOutcome>& known, const RunEvents& events);

proto::JobOutcome OutcomeToProto(const fetcher::PostOutcome& o);
fetcher::PostOutcome OutcomeFromProto(const proto::JobOutcome& o);

}  // namespace stillpost::service
