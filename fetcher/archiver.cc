#include "fetcher/archiver.h"

#include <google/protobuf/util/time_util.h>

#include <deque>
#include <map>
#include <optional>
#include <set>

#include "common/post_key.h"
#include "common/sha256.h"
#include "common/time.h"
#include "common/version.h"
#include "fetcher/adapter.h"
#include "fetcher/detail/timestamp.h"
#include "fetcher/media.h"
#include "proto/time.h"

namespace stillpost::fetcher {
namespace {

using detail::Ts;

// How many URLs one media slot may try: the first, then fallbacks (smaller photo, lower
// bitrate, the origin's copy). Real chains are two or three long.
constexpr size_t kMaxFallbacks = 4;

}  // namespace

std::string_view TombstoneKindName(proto::Tombstone::Kind kind) {
  switch (kind) {
    case proto::Tombstone::KIND_DELETED:
      return "deleted";
    case proto::Tombstone::KIND_PROTECTED:
      return "protected";
    case proto::Tombstone::KIND_SUSPENDED:
      return "suspended";
    case proto::Tombstone::KIND_WITHHELD:
      return "withheld";
    case proto::Tombstone::KIND_NOT_FOUND:
      return "not found";
    default:
      return "gone";
  }
}

std::string_view OutcomeName(const PostOutcome& o) {
  switch (o.kind) {
    case PostOutcome::Kind::kCaptured:
      return o.partial ? "partial" : "captured";
    case PostOutcome::Kind::kGone:
      return TombstoneKindName(o.gone_kind);
    case PostOutcome::Kind::kFailed:
      return "failed";
    case PostOutcome::Kind::kUnchanged:
      return "unchanged";
    case PostOutcome::Kind::kNotAPost:
      return "not a post";
  }
  return "failed";
}

std::string ContentDigest(const proto::Post& post) {
  std::string s = post.text();
  auto add = [&s](std::string_view part) {
    s += '\x1f';
    s += part;
  };
  for (const auto& e : post.entities()) add(e.target());
  for (const auto& m : post.media()) add(m.original_url());
  add(post.card().url());
  add(post.card().title());
  add(post.quoted_key());
  add(post.has_edited_at() ? std::to_string(post.edited_at().seconds()) : "");
  add(post.upstream_version());
  return Sha256Hex(s);
}

struct Archiver::Impl {
  archive::Store& store;
  ArchiveOptions options;
  HttpClient http;
  MimeSniffer sniffer;
  std::map<std::string, std::string> stored_by_url;  // media URL -> sha256, once committed

  // One post on its way through the pipeline.
  struct Job {
    size_t index = 0;
    std::string id;   // X id, Mastodon status id, Bluesky rkey
    std::string key;  // the post key (for a Bluesky handle: known once resolved)
    PostRef ref;
    ParsedPostKey parsed;
    const Adapter* adapter = nullptr;
    proto::Capture capture;
    std::string raw_body;
    std::map<std::string, std::string> fallbacks;
    std::vector<MediaSlot> slots;
    size_t pending = 0;
    // Each distinct URL of the post's media, fetched once for every slot that names it.
    struct Group {
      std::vector<size_t> slots;
      BodyKind kind = BodyKind::kImage;
    };
    std::vector<Group> groups;
    std::chrono::steady_clock::time_point deadline{};  // --post-timeout; none when zero
    // Bodies (spooled to disk, mapped) kept alive until the capture is stored.
    std::vector<std::shared_ptr<const SpooledBody>> media_data;
    std::vector<proto::BlobMeta> media_meta;
    std::vector<std::string> failures;
    std::vector<MediaSource> sources;  // media fetched from elsewhere (MediaSource)
    // Media URL -> the check its bytes must pass (a content address), from a MediaSource.
    std::map<std::string, std::function<std::optional<bool>(std::string_view)>> checks;
    std::map<std::string, std::string> skip_urls;    // media URL -> why it is not fetched
    std::map<std::string, std::string> failed_urls;  // media URL -> why it failed, this post
    std::string note;
  };

  std::vector<PostOutcome>* outcomes = nullptr;
  const std::function<void(const PostOutcome&)>* on_done = nullptr;
  std::deque<std::pair<size_t, PostRef>> queue;  // posts not started yet
  int in_flight = 0;
  // Adapters' lookups (a handle's DID, a DID's PDS), each asked once per run: answers by cache
  // key, and the jobs waiting for one.
  std::map<std::string, Result<std::string>> answers;
  std::map<std::string, std::vector<std::function<void(const Result<std::string>&)>>> waiting;

  Impl(archive::Store& s, ArchiveOptions o) : store(s), options(std::move(o)), http(options.http) {}

  void Done(size_t index, PostOutcome outcome) {
    outcome.index = index;
    (*outcomes)[index] = outcome;
    if (on_done != nullptr && *on_done) (*on_done)(outcome);
    --in_flight;
    StartMore();
  }

  void StartMore() {
    while (in_flight < options.max_posts_in_flight && !queue.empty()) {
      auto [index, ref] = queue.front();
      queue.pop_front();
      ++in_flight;
      auto job = std::make_shared<Job>();
      job->index = index;
      job->ref = std::move(ref);
      if (options.post_timeout.count() > 0) {
        job->deadline = std::chrono::steady_clock::now() + options.post_timeout;
      }
      if (job->ref.NeedsResolving()) {
        job->key = job->ref.input;
        Resolve(job);
      } else {
        Start(job, job->ref.key);
      }
    }
  }

  void Start(const std::shared_ptr<Job>& job, const std::string& key) {
    auto parsed = ParsePostKey(key);
    if (!parsed) return Done(job->index, Failed(*job, parsed.error().message()));
    job->key = key;
    job->parsed = *parsed;
    job->id = parsed->id;
    job->adapter = &AdapterFor(parsed->platform);
    if (auto done = CapturedByThisJob(key)) return Done(job->index, std::move(*done));
    const std::string url = job->adapter->PostUrl(job->parsed);
    http.Add({url, BodyKind::kJson, job->deadline}, [this, job, url](Result<HttpResponse> r) {
      const int status = r ? static_cast<int>(r->status) : 0;
      if (r) *job->capture.mutable_exchange() = r->exchange;
      OnAnswer(job, url, status, job->adapter->Interpret(job->parsed, job->ref, std::move(r)));
    });
  }

  // The outcome of a post this job (ArchiveOptions::job) captured already, before a restart.
  std::optional<PostOutcome> CapturedByThisJob(const std::string& key) {
    if (options.job.empty()) return std::nullopt;
    auto state = store.StateSummary(key);
    if (!state || !state->has_last_checked()) return std::nullopt;
    auto newest = store.CaptureAt(key, proto::MicrosOf(state->last_checked()));
    if (!newest || newest->job() != options.job) return std::nullopt;
    PostOutcome o;
    o.key = key;
    o.recovered = true;
    if (newest->has_tombstone()) {
      o.kind = PostOutcome::Kind::kGone;
      o.gone_kind = newest->tombstone().kind();
      o.detail = newest->tombstone().upstream_text();
    } else {
      o.kind = PostOutcome::Kind::kCaptured;
      o.partial = newest->partial();
      o.detail = newest->partial_reason();
    }
    return o;
  }

  // Asks an adapter's lookup once per run, caching its answer (errors too) by its cache key.
  void Ask(const Lookup& lookup, std::function<void(const Result<std::string>&)> then) {
    if (!lookup.refused.empty()) return then(InvalidArgumentError(lookup.refused));
    if (auto it = answers.find(lookup.cache_key); it != answers.end()) return then(it->second);
    auto& queue_for = waiting[lookup.cache_key];
    queue_for.push_back(std::move(then));
    if (queue_for.size() > 1) return;  // already asked
    http.Add({lookup.url, BodyKind::kJson}, [this, lookup](Result<HttpResponse> r) {
      Result<std::string> answer = UnavailableError("no answer");
      if (!r) {
        answer = r.error();
      } else if (r->status != 200) {
        answer = UnavailableError(lookup.url + ": HTTP " + std::to_string(r->status));
      } else {
        answer = lookup.parse(r->body);
      }
      answers.insert_or_assign(lookup.cache_key, answer);
      auto callbacks = std::move(waiting[lookup.cache_key]);
      waiting.erase(lookup.cache_key);
      for (auto& cb : callbacks) cb(answer);
    });
  }

  // A reference that names no key yet: the first adapter that resolves it.
  void Resolve(const std::shared_ptr<Job>& job) {
    for (const Adapter* adapter : Adapters()) {
      auto lookup = adapter->ResolveRef(job->ref);
      if (!lookup) continue;
      return Ask(*lookup, [this, job, adapter, what = lookup->what](const Result<std::string>& a) {
        if (!a) {
          return Done(job->index,
                      Failed(*job, "cannot resolve " + what + ": " + a.error().message()));
        }
        auto key = adapter->KeyFromResolved(job->ref, *a);
        if (!key) return Done(job->index, Failed(*job, key.error().message()));
        Start(job, *key);
      });
    }
    Done(job->index, Failed(*job, "nothing resolves " + job->ref.input));
  }

  // What the post shows, digested as mapped: before media are fetched, since a fallback URL or
  // a Bluesky video whose PDS could not be found changes the stored URLs, not the post (a
  // re-check must not call that an edit).
  static void SetContentDigest(Job& job) {
    job.capture.set_content_digest(ContentDigest(job.capture.post()));
  }

  PostOutcome Failed(const Job& job, std::string why) {
    PostOutcome o;
    o.key = job.key;
    o.kind = PostOutcome::Kind::kFailed;
    o.detail = std::move(why);
    return o;
  }

  // The adapter's reading of an answer from `url` (`status` 0: no HTTP answer): a failure, a
  // fallback, a tombstone, or a post whose author check and media come next.
  void OnAnswer(const std::shared_ptr<Job>& job, const std::string& url, int status, Answer a) {
    job->capture.set_source_url(url);
    job->capture.set_fetcher_version(kVersion);
    if (status != 0) {
      *job->capture.mutable_captured_at() = Ts(NowMicros());
      job->capture.set_http_status(status);
    }
    switch (a.kind) {
      case Answer::Kind::kFailed:
        return Done(job->index, Failed(*job, std::move(a.why)));
      case Answer::Kind::kNotAPost: {
        PostOutcome o;
        o.key = job->key;
        o.kind = PostOutcome::Kind::kNotAPost;
        o.detail = std::move(a.why);
        return Done(job->index, std::move(o));
      }
      case Answer::Kind::kFallback:
        return FallBack(job, std::move(a.why));
      case Answer::Kind::kGone:
        job->raw_body = std::move(a.raw_body);
        return StoreTombstone(job, std::move(a.mapped.tombstone));
      case Answer::Kind::kPost:
        break;
    }
    job->raw_body = std::move(a.raw_body);
    job->key = a.mapped.post.key();  // the adapter checked it: a boost is archived under its own
    job->note = std::move(a.mapped.note);
    job->fallbacks = std::move(a.mapped.fallbacks);
    job->sources = job->adapter->MediaSources(a.mapped);
    if (!a.partial_reason.empty()) {
      job->capture.set_partial(true);
      job->capture.set_partial_reason(std::move(a.partial_reason));
    }
    *job->capture.mutable_post() = std::move(a.mapped.post);
    SetContentDigest(*job);
    if (options.only_if_changed && UnchangedBeforeMedia(*job)) {
      PostOutcome o;
      o.key = job->key;
      o.kind = PostOutcome::Kind::kUnchanged;
      return Done(job->index, std::move(o));
    }
    VerifyAuthor(job, [this, job] {
      if (!job->sources.empty()) return ResolveMedia(job);
      FetchMedia(job);
    });
  }

  // A re-fetch that shows what the newest whole capture shows: nothing to store, so its media
  // are not fetched again (a re-check of a live post costs one request).
  bool UnchangedBeforeMedia(const Job& job) const {
    if (job.capture.partial()) return false;
    auto state = store.StateSummary(job.key);
    if (!state || state->current() != proto::PostState::CURRENT_LIVE) return false;
    auto latest = store.LatestGood(job.key);
    return latest && !latest->partial() && latest->content_digest() == job.capture.content_digest();
  }

  void FallBack(const std::shared_ptr<Job>& job, std::string why) {
    const std::string url = job->adapter->FallbackUrl(job->parsed);
    if (url.empty()) return Done(job->index, Failed(*job, std::move(why)));
    http.Add({url, BodyKind::kJson, job->deadline}, [this, job, url, why](Result<HttpResponse> r) {
      if (r) *job->capture.mutable_exchange() = r->exchange;
      Answer a = job->adapter->InterpretFallback(job->parsed, why, std::move(r));
      if (a.kind == Answer::Kind::kFallback) a.kind = Answer::Kind::kFailed;  // one fallback
      OnAnswer(job, url, a.kind == Answer::Kind::kFailed ? 0 : 200, std::move(a));
    });
  }

  // Whether the author is who the post says (the adapter's lookup answers the author's id);
  // only then may the store index the handle (Capture.handle_verified).
  void VerifyAuthor(const std::shared_ptr<Job>& job, std::function<void()> next) {
    auto lookup = job->adapter->VerifyAuthor(job->capture.post());
    if (!lookup) return next();
    Ask(*lookup, [job, next, id = job->capture.post().author().id()](const Result<std::string>& a) {
      if (a && *a == id) job->capture.set_handle_verified(true);
      next();
    });
  }

  // Media fetched from elsewhere (a Bluesky video's original blob on the author's PDS): each
  // source's lookup, then its URL in place of the mapped one.
  void ResolveMedia(const std::shared_ptr<Job>& job) {
    auto remaining = std::make_shared<size_t>(job->sources.size());
    for (const MediaSource& source : job->sources) {
      Ask(source.lookup, [this, job, remaining, &source](const Result<std::string>& answer) {
        if (answer) {
          const std::string url = source.url_for(*answer);
          RewriteUrl(job->capture.mutable_post(), source.mapped_url, url);
          if (source.matches) job->checks[url] = source.matches;
        } else {
          job->skip_urls[source.mapped_url] =
              "cannot find " + source.lookup.what + ": " + answer.error().message();
        }
        if (--*remaining == 0) FetchMedia(job);
      });
    }
  }

  static void RewriteUrl(proto::Post* post, const std::string& from, const std::string& to) {
    for (auto& m : *post->mutable_media()) {
      if (m.original_url() == from) m.set_original_url(to);
    }
    if (post->has_quoted()) RewriteUrl(post->mutable_quoted(), from, to);
  }

  void StoreTombstone(const std::shared_ptr<Job>& job, proto::Tombstone t) {
    *job->capture.mutable_tombstone() = std::move(t);
    Commit(job);
  }

  // Keeps the first max_media_per_post media of a post (and of its quoted post and parent).
  size_t TrimMedia(proto::Post& post) {
    size_t dropped = 0;
    const int cap = std::max(0, options.max_media_per_post);
    if (post.media_size() > cap) {
      dropped += static_cast<size_t>(post.media_size() - cap);
      post.mutable_media()->DeleteSubrange(cap, post.media_size() - cap);
    }
    if (post.has_quoted()) dropped += TrimMedia(*post.mutable_quoted());
    if (post.has_reply_to()) dropped += TrimMedia(*post.mutable_reply_to());
    return dropped;
  }

  void FetchMedia(const std::shared_ptr<Job>& job) {
    if (const size_t dropped = TrimMedia(*job->capture.mutable_post()); dropped > 0) {
      job->failures.push_back(std::to_string(dropped) + " media over the per-post cap of " +
                              std::to_string(options.max_media_per_post) + " not kept");
    }
    job->slots = MediaSlots(*job->capture.mutable_post());
    job->groups.clear();
    using Role = MediaSlot::Role;
    auto cap_of = [this](Role r) {
      return r == Role::kAvatar  ? options.max_avatars_per_post
             : r == Role::kEmoji ? options.max_emoji_per_post
                                 : options.max_media_per_post;
    };
    auto role_name = [](Role r) {
      return r == Role::kAvatar ? "avatars" : r == Role::kEmoji ? "emoji" : "media files";
    };
    std::map<std::string, size_t> group_of_url;
    std::map<Role, int> fetches, over;
    for (size_t i = 0; i < job->slots.size(); ++i) {
      const MediaSlot& slot = job->slots[i];
      if (auto skip = job->skip_urls.find(*slot.url); skip != job->skip_urls.end()) {
        if (slot.failure != nullptr) *slot.failure = skip->second;
        job->failures.push_back(skip->second);
        continue;
      }
      if (auto g = group_of_url.find(*slot.url); g != group_of_url.end()) {
        job->groups[g->second].slots.push_back(i);
        continue;
      }
      if (fetches[slot.role] >= cap_of(slot.role)) {
        ++over[slot.role];
        if (slot.failure != nullptr) *slot.failure = "over the per-post cap";
        continue;
      }
      ++fetches[slot.role];
      group_of_url.emplace(*slot.url, job->groups.size());
      job->groups.push_back({{i}, slot.kind});
    }
    for (const auto& [role, n] : over) {
      job->failures.push_back(std::to_string(n) + " " + role_name(role) +
                              " over the per-post cap of " + std::to_string(cap_of(role)));
    }
    job->pending = job->groups.size();
    if (job->pending == 0) return Commit(job);
    for (size_t g = 0; g < job->groups.size(); ++g) {
      const std::string url = *job->slots[job->groups[g].slots.front()].url;
      FetchGroup(job, g, url, "", {url});
    }
  }

  // Fetches one URL of a post for every slot that names it; on failure, the URL's fallback,
  // never one tried already for these slots (upstream fallbacks can form cycles: A->B->A).
  void FetchGroup(const std::shared_ptr<Job>& job, size_t g, const std::string& url,
                  std::string earlier_error, std::set<std::string> tried) {
    const auto fill = [job, g](const std::string& sha, const std::string& at,
                               const std::string& mime) {
      for (size_t i : job->groups[g].slots) {
        const MediaSlot& s = job->slots[i];
        *s.blob = sha;
        *s.url = at;
        if (s.mime != nullptr && !mime.empty()) *s.mime = mime;
      }
    };
    if (auto known = stored_by_url.find(url); known != stored_by_url.end()) {
      fill(known->second, url, "");
      return SlotDone(job);
    }
    if (auto failed = job->failed_urls.find(url); failed != job->failed_urls.end()) {
      return GroupFailed(job, g, url, failed->second, std::move(earlier_error), std::move(tried));
    }
    const BodyKind kind = job->groups[g].kind;
    http.Add({url, kind, job->deadline},
             [this, job, g, url, kind, earlier_error, tried, fill](Result<HttpResponse> r) mutable {
               std::string error;
               if (!r) {
                 error = r.error().message();
               } else if (r->status != 200) {
                 error = "HTTP " + std::to_string(r->status) + " for " + url;
               } else if (!r->spooled) {
                 error = "no body for " + url;  // media are spooled (http.h); never expected
               } else {
                 const std::string_view bytes = r->spooled->data();
                 const std::string mime = sniffer.Sniff(bytes);
                 std::optional<bool> matches;
                 if (auto check = job->checks.find(url); check != job->checks.end()) {
                   matches = check->second(bytes);
                 }
                 if (matches.has_value() && !*matches) {
                   error = url + " does not hold the blob its CID names";
                 } else if (!MimeFits(kind, mime)) {
                   error = url + " is " + mime + ", not the " +
                           (kind == BodyKind::kVideo ? "video" : "image") + " expected";
                 } else {
                   proto::BlobMeta meta;
                   meta.set_mime(mime);
                   meta.add_original_urls(url);
                   *meta.mutable_exchange() = std::move(r->exchange);
                   const std::string sha = Sha256Hex(bytes);
                   meta.set_sha256(sha);
                   fill(sha, url, mime);
                   job->media_data.push_back(r->spooled);  // media always come spooled
                   job->media_meta.push_back(std::move(meta));
                   return SlotDone(job);
                 }
               }
               job->failed_urls.emplace(url, error);
               GroupFailed(job, g, url, error, std::move(earlier_error), std::move(tried));
             });
  }

  // `url` failed for group `g` (now, or earlier in this post): its fallback next, never one
  // tried already for these slots, or the slots' failure.
  void GroupFailed(const std::shared_ptr<Job>& job, size_t g, const std::string& url,
                   const std::string& error, std::string earlier_error,
                   std::set<std::string> tried) {
    if (auto next = job->fallbacks.find(url); next != job->fallbacks.end() &&
                                              tried.size() < kMaxFallbacks &&
                                              tried.insert(next->second).second) {
      return FetchGroup(job, g, next->second, error, std::move(tried));
    }
    const std::string why = earlier_error.empty() ? error : earlier_error + "; then " + error;
    for (size_t i : job->groups[g].slots) {
      if (job->slots[i].failure != nullptr) *job->slots[i].failure = why;
    }
    job->failures.push_back(why);
    SlotDone(job);
  }

  void SlotDone(const std::shared_ptr<Job>& job) {
    if (--job->pending == 0) Commit(job);
  }

  void Commit(const std::shared_ptr<Job>& job) {
    proto::Capture& c = job->capture;
    if (!options.job.empty()) c.set_job(options.job);
    if (auto t = options.triggers.find(job->key); t != options.triggers.end()) {
      c.set_trigger(t->second);
    }
    if (!c.has_captured_at()) *c.mutable_captured_at() = Ts(NowMicros());
    if (c.has_post() && !c.has_content_digest()) c.set_content_digest(ContentDigest(c.post()));
    // What changed since the newest capture, for re-checks.
    std::string transition;
    if (auto before = store.StateSummary(job->key)) {
      const bool was_gone = before->current() == proto::PostState::CURRENT_GONE;
      if (c.has_tombstone()) {
        transition = was_gone ? "" : std::string(TombstoneKindName(c.tombstone().kind()));
      } else if (was_gone) {
        transition = "restored";
      } else if (auto latest = store.LatestGood(job->key); latest) {
        if (latest->content_digest() != c.content_digest()) {
          transition = "edited";
        } else if (latest->partial() && !c.partial() && job->failures.empty()) {
          // The newest capture missed something this one has: a whole capture repairs it.
          transition = "repaired";
        }
      }
      if (options.only_if_changed && transition.empty() &&
          !(options.keep_tombstones && c.has_tombstone())) {
        PostOutcome o;
        o.key = job->key;
        o.kind = PostOutcome::Kind::kUnchanged;
        return Done(job->index, std::move(o));
      }
    }
    if (!job->failures.empty()) {
      c.set_partial(true);
      std::string reason = std::to_string(job->failures.size()) + " media not stored: ";
      reason += job->failures.front();
      c.set_partial_reason(reason);
    }
    std::vector<archive::BlobWrite> blobs;
    if (!job->raw_body.empty()) {
      archive::BlobWrite raw;
      raw.data = job->raw_body;
      raw.meta.set_mime("application/json");
      raw.meta.add_original_urls(c.source_url());
      c.set_raw_body_blob(Sha256Hex(job->raw_body));
      blobs.push_back(std::move(raw));
    }
    for (size_t i = 0; i < job->media_data.size(); ++i) {
      blobs.push_back({job->media_data[i]->data(), job->media_meta[i]});
    }
    auto added = store.AddCapture(job->key, c, blobs);
    PostOutcome o;
    o.key = job->key;
    if (!added) {
      o.kind = PostOutcome::Kind::kFailed;
      o.detail = added.error().message();
      return Done(job->index, std::move(o));
    }
    for (size_t i = 0; i < job->media_meta.size(); ++i) {
      stored_by_url[job->media_meta[i].original_urls(0)] = job->media_meta[i].sha256();
    }
    o.bytes_stored = added->blob_bytes_written;
    o.media = static_cast<int>(job->media_data.size());
    o.transition = transition;
    if (c.has_tombstone()) {
      o.kind = PostOutcome::Kind::kGone;
      o.gone_kind = c.tombstone().kind();
      o.detail = c.tombstone().upstream_text();
    } else {
      o.kind = PostOutcome::Kind::kCaptured;
      o.partial = c.partial();
      o.detail = c.partial_reason();
      if (!job->note.empty()) o.detail = o.detail.empty() ? job->note : job->note + "; " + o.detail;
    }
    Done(job->index, std::move(o));
  }
};

Archiver::Archiver(archive::Store& store, ArchiveOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {}
Archiver::~Archiver() = default;

std::vector<PostOutcome> Archiver::Archive(const std::vector<PostRef>& refs,
                                           const std::function<void(const PostOutcome&)>& on_done) {
  std::vector<PostRef> distinct;
  for (const auto& ref : refs) {
    const bool seen = std::any_of(distinct.begin(), distinct.end(),
                                  [&](const PostRef& d) { return SamePost(d, ref); });
    if (!seen) distinct.push_back(ref);
  }
  std::vector<PostOutcome> outcomes(distinct.size());
  if (const Status& sniffer = impl_->sniffer.status(); !sniffer.ok()) {
    // Media could not be checked for what they are: nothing is captured rather than unchecked.
    for (size_t i = 0; i < distinct.size(); ++i) {
      outcomes[i].key = distinct[i].key.empty() ? distinct[i].input : distinct[i].key;
      outcomes[i].index = i;
      outcomes[i].detail = sniffer.message();
      if (on_done) on_done(outcomes[i]);
    }
    return outcomes;
  }
  impl_->outcomes = &outcomes;
  impl_->on_done = &on_done;
  for (size_t i = 0; i < distinct.size(); ++i) impl_->queue.emplace_back(i, distinct[i]);
  impl_->StartMore();
  impl_->http.Run();
  impl_->outcomes = nullptr;
  impl_->on_done = nullptr;
  return outcomes;
}

std::vector<PostOutcome> Archiver::Archive(const std::vector<std::string>& keys,
                                           const std::function<void(const PostOutcome&)>& on_done) {
  std::vector<PostRef> refs;
  for (const auto& key : keys) {
    PostRef ref;
    ref.key = key;
    ref.input = key;
    refs.push_back(std::move(ref));
  }
  return Archive(refs, on_done);
}

}  // namespace stillpost::fetcher
