// The capture pipeline: fetch a post from its platform, map it, download its media, and store
// the capture with every blob in one atomic write. One Archiver per run; it drives one
// HttpClient, so everything runs on the calling thread. The networks' own rules are their
// adapters' (fetcher/adapter.h); this is the job state machine and the media fetch.
//
// Thread safety: not thread-safe; one thread calls Archive() at a time. The Archiver borrows
// `store` (thread-safe itself), which must outlive it. docs/fetcher.md has the job lifecycle.
//
//   Archiver archiver(store, options);
//   auto outcomes = archiver.Archive({"x/20", "mastodon/mastodon.social/1"},
//                                    [](const PostOutcome& o) { print(o); });
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "archive/store.h"
#include "common/post_ref.h"
#include "fetcher/http.h"

namespace stillpost::fetcher {

struct ArchiveOptions {
  HttpOptions http;
  std::vector<std::string> nitter_hosts;  // extra hosts whose /USER/status/ID links are X posts
  int max_posts_in_flight = 32;           // bounds memory: media of at most this many posts
  // Store a capture only when something changed since the newest one (edited, gone, back, or a
  // partial capture now whole); otherwise report kUnchanged and store nothing. `archive` sets it
  // unless --force, `recheck` always.
  bool only_if_changed = false;
  // Bounds on the work one post can ask for, whatever its upstream says: media files (photos,
  // videos, posters, card images; the post keeps the first ones), custom-emoji images and
  // avatars (the author's, the quoted post's, the parent's) fetched per post, and the time one
  // post may take from its first request to its last (0: no limit). A URL that appears twice in
  // a post is fetched once.
  int max_media_per_post = 32;
  int max_emoji_per_post = 64;
  int max_avatars_per_post = 4;
  std::chrono::milliseconds post_timeout{600'000};
  // The server's job this run belongs to (proto::Job.id), stamped on every capture (Capture.job).
  // A post whose newest capture carries it was captured by this job before a crash: it is not
  // fetched again, and its outcome is read back from that capture (PostOutcome::recovered).
  std::string job;
  // With only_if_changed: still store a capture of a post that is gone again (each fetch that
  // confirms a deletion is a capture, as the re-check scheduler wants).
  bool keep_tombstones = false;
  // Why each post is fetched (Capture.trigger), by post key: "recheck", "confirmation 1 of 2",
  // a Jetstream event. Posts not named get none.
  std::map<std::string, std::string> triggers;
};

struct PostOutcome {
  // kNotAPost: a Mastodon-shaped link on a host that turned out not to answer the Mastodon API
  // (PostRef::unverified); nothing is stored.
  enum class Kind { kCaptured, kGone, kFailed, kUnchanged, kNotAPost };
  std::string key;   // the post key; as given, when it could not be resolved
  size_t index = 0;  // the post's place among the distinct references Archive() was given
  Kind kind = Kind::kFailed;
  bool partial = false;       // captured, but something is missing (see detail)
  int media = 0;              // media files stored with the capture (avatars, photos, posters)
  uint64_t bytes_stored = 0;  // new blob bytes written (already-stored blobs count 0)
  std::string detail;         // why it failed, what is missing, or the platform's gone text
  std::string
      transition;  // "edited", "deleted" (or another gone kind), "restored", "repaired", or ""
  proto::Tombstone::Kind gone_kind = proto::Tombstone::KIND_UNSPECIFIED;
  bool recovered = false;  // read back from this job's capture (ArchiveOptions::job), not fetched
};

// "captured", "partial", "deleted", "failed", "unchanged", "not a post"
std::string_view OutcomeName(const PostOutcome& o);

// What a post shows, as a digest: text, entities' targets, media, card, quote and edit time —
// not counts, which change all the time. Equal digests mean an unchanged post.
std::string ContentDigest(const proto::Post& post);
// "deleted", "protected", "suspended", "withheld", "not found", "gone".
std::string_view TombstoneKindName(proto::Tombstone::Kind kind);

class Archiver {
 public:
  Archiver(archive::Store& store, ArchiveOptions options);
  ~Archiver();
  Archiver(const Archiver&) = delete;
  Archiver& operator=(const Archiver&) = delete;

  // Archives posts of any platform, each once; `on_done` runs as each finishes (in any order;
  // PostOutcome::index says which it is), on the calling thread. Returns one outcome per
  // distinct reference, in input order, when every post is done. Never throws; every failure
  // is an outcome (kFailed with its reason), never a lost post. A post's capture is stored whole
  // or not at all; with only_if_changed an unchanged post stores nothing (kUnchanged).
  // References that name no key yet (a Bluesky handle) are resolved first, once per run; a
  // Mastodon boost archives the boosted post, under its own key (the outcome's).
  std::vector<PostOutcome> Archive(const std::vector<PostRef>& refs,
                                   const std::function<void(const PostOutcome&)>& on_done = {});
  // The same for post keys (x/ID, mastodon/HOST/ID, bsky/DID/RKEY).
  std::vector<PostOutcome> Archive(const std::vector<std::string>& keys,
                                   const std::function<void(const PostOutcome&)>& on_done = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stillpost::fetcher
