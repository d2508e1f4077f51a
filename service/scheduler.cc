#include "service/scheduler.h"

#include <algorithm>
#include <random>
#include <set>

#include "common/post_key.h"
#include "common/time.h"
#include "common/web.h"
#include "fetcher/adapter.h"
#include "fetcher/archiver.h"
#include "fetcher/http.h"
#include "proto/time.h"
#include "service/keys.h"

namespace stillpost::service {
namespace {

using std::chrono::seconds;
using Clock = std::chrono::steady_clock;
using Entry = proto::ScheduleEntry;
constexpr int64_t kMicros = 1'000'000;

std::string PlatformOf(std::string_view key) {
  auto parsed = ParsePostKey(key);
  return parsed ? std::string(KeyPlatformName(parsed->platform)) : std::string("unknown");
}

// The host a post's first request goes to (before --upstream rewriting): its bucket.
std::string RequestHost(const std::string& key) {
  auto parsed = ParsePostKey(key);
  if (!parsed) return "";
  return HostOf(fetcher::AdapterFor(parsed->platform).PostUrl(*parsed));
}

// How many posts one request checks on the post's network (Bluesky's getPosts: 25).
size_t PostsPerRequest(const std::string& key) {
  auto parsed = ParsePostKey(key);
  if (!parsed) return 1;
  return std::max<size_t>(1, fetcher::AdapterFor(parsed->platform).BatchLimit());
}

bool IsGoneTransition(std::string_view t) {
  return !t.empty() && t != "edited" && t != "restored" && t != "repaired";
}

}  // namespace

void RecheckOptions::SetEvery(seconds every) {
  for (auto& tier : tiers) tier.every = every;
  oldest_every = every;
  gone_every = every;
  batch_ahead = every;
  failed_retry = every;
  for (auto& c : confirm_after) c = every;
  floor = std::min(floor, every);
}

seconds RecheckInterval(const RecheckOptions& options, seconds age, bool hot) {
  seconds every = options.oldest_every;
  for (const auto& tier : options.tiers) {
    if (age < tier.younger_than) {
      every = tier.every;
      break;
    }
  }
  if (hot) every /= 2;
  return std::max(every, options.floor);
}

Scheduler::Scheduler(archive::Store& store, Changes& changes, RecheckOptions options,
                     RunSettings run)
    : store_(store), changes_(changes), options_(std::move(options)), run_(std::move(run)) {
  fetcher::ArchiveOptions& a = run_.archive;
  a.http.cancel = &stopping_;
  a.only_if_changed = true;
  a.keep_tombstones = true;
  a.job.clear();
  // A 429 is not waited out inside a round: the post goes back to the schedule for when its
  // host may be asked again (the limiter holds the host meanwhile).
  a.http.limits.retry_after_max = std::chrono::milliseconds(0);
}

Scheduler::~Scheduler() { Stop(); }

Status Scheduler::Start() {
  SP_RETURN_IF_ERROR(Seed());
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void Scheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

UnixMicros Scheduler::Jittered(seconds interval) {
  const double j = std::clamp(options_.jitter, 0.0, 0.9);
  std::uniform_real_distribution<double> spread(1 - j, 1 + j);
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<UnixMicros>(static_cast<double>(interval.count()) * spread(rng_) * kMicros);
}

// When a live post is checked next: its interval from the newest embedding article's age (the
// time a scan first found the post in it), else the post's own age.
int64_t Scheduler::IntervalSeconds(const std::string& key, bool hot) const {
  const UnixMicros now = NowMicros();
  UnixMicros born = 0;
  if (auto articles = store_.ArticlesOf(key)) {
    for (const auto& a : *articles) born = std::max(born, a.first_seen);
  }
  if (born == 0) {
    if (auto latest = store_.LatestGood(key); latest && latest->post().has_created_at()) {
      born = proto::MicrosOf(latest->post().created_at());
    }
  }
  const seconds age(born > 0 ? std::max<int64_t>(0, (now - born) / kMicros) : 0);
  return RecheckInterval(options_, age, hot).count();
}

Status Scheduler::Put(Entry entry, UnixMicros due, std::string_view old_record) {
  *entry.mutable_due() = proto::TimestampOf(due);
  const bool urgent = entry.stage() == Entry::STAGE_CONFIRMING || !entry.trigger().empty();
  const std::string record = DueKey(due, entry.key(), urgent ? kUrgentMark : kDueMark);
  const std::string pointer = record;
  std::vector<archive::ServiceWrite> writes;
  if (!old_record.empty() && old_record != record)
    writes.push_back({std::string(old_record), "", true});
  writes.push_back({PostScheduleKey(entry.key()), pointer, false});
  writes.push_back({record, entry.SerializeAsString(), false});
  return store_.WriteService(writes, archive::Records::kSchedule, /*sync=*/false);
}

// Every stored post without an entry gets one: due at its last check plus its interval, or
// (overdue) spread over the next minute so that a first start does not ask everything at once.
Status Scheduler::Seed() {
  if (!options_.periodic) return Status::Ok();
  uint64_t scheduled = 0;
  std::uniform_int_distribution<int64_t> spread(0, 60 * kMicros);
  for (const char* platform : {"x", "mastodon", "bsky"}) {
    std::string after;
    while (true) {
      auto keys = store_.PostsByPlatform(platform, 1000, after);
      if (!keys) return keys.error();
      for (const auto& key : *keys) {
        ++scheduled;
        if (store_.GetService(PostScheduleKey(key), archive::Records::kSchedule)) continue;
        auto state = store_.StateSummary(key);
        if (!state) continue;
        Entry e;
        e.set_key(key);
        const bool gone = state->current() == proto::PostState::CURRENT_GONE;
        e.set_stage(gone ? Entry::STAGE_GONE : Entry::STAGE_WATCHING);
        const UnixMicros last =
            state->has_last_checked() ? proto::MicrosOf(state->last_checked()) : 0;
        const UnixMicros interval = gone ? options_.gone_every.count() * kMicros
                                         : Jittered(seconds(IntervalSeconds(key, false)));
        UnixMicros due = last + interval;
        const UnixMicros now = NowMicros();
        if (due < now) {
          std::lock_guard<std::mutex> lock(mu_);
          due = now + std::min<int64_t>(spread(rng_), interval);
        }
        SP_RETURN_IF_ERROR(Put(std::move(e), due, {}));
      }
      if (keys->size() < 1000) break;
      after = keys->back();
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  stats_.scheduled = scheduled;
  return Status::Ok();
}

void Scheduler::Track(const std::string& key) {
  if (!options_.periodic) return;
  if (store_.GetService(PostScheduleKey(key), archive::Records::kSchedule)) return;
  Entry e;
  e.set_key(key);
  e.set_stage(Entry::STAGE_WATCHING);
  *e.mutable_last_checked() = proto::TimestampOf(NowMicros());
  const UnixMicros due = NowMicros() + Jittered(seconds(IntervalSeconds(key, false)));
  if (Put(std::move(e), due, {}).ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.scheduled++;
    woken_ = true;
  }
  wake_.notify_all();
}

Status Scheduler::CheckNow(const std::string& key, const std::string& trigger) {
  auto state = store_.StateSummary(key);
  if (!state) return state.error();
  Entry e;
  std::string old;
  if (auto pointer = store_.GetService(PostScheduleKey(key), archive::Records::kSchedule)) {
    old = *pointer;
    if (auto value = store_.GetService(old, archive::Records::kSchedule)) {
      e.ParseFromString(*value);
    }
  }
  e.set_key(key);
  if (e.stage() == Entry::STAGE_UNSPECIFIED) e.set_stage(Entry::STAGE_WATCHING);
  e.set_trigger(trigger);
  SP_RETURN_IF_ERROR(Put(std::move(e), NowMicros(), old));
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  wake_.notify_all();
  return Status::Ok();
}

void Scheduler::CountView(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = views_.find(key);
  if (it == views_.end()) {
    if (views_.size() >= 100'000) return;  // bounded: the busiest posts are in it already
    it = views_.emplace(std::string(key), 0).first;
  }
  ++it->second;
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  SchedulerStats s = stats_;
  for (const char mark : {kUrgentMark, kDueMark}) {
    auto first = store_.ScanService(std::string(1, mark), 1, {}, archive::Records::kSchedule);
    if (!first || first->empty()) continue;
    const UnixMicros due =
        static_cast<UnixMicros>(ReadBigEndian64(std::string_view(first->front().first).substr(1)));
    s.due_lag_seconds =
        std::max(s.due_lag_seconds, static_cast<double>(NowMicros() - due) / kMicros);
  }
  return s;
}

// The due entries that their hosts' buckets allow now (at most max_per_round): the urgent lane
// first (confirmations, Jetstream's asks: an announcement waits on them), then the routine one,
// each oldest first. `wake_at` is when to look again if none could be taken.
std::vector<Scheduler::Due> Scheduler::TakeDue(Clock::time_point* wake_at) {
  std::vector<Due> out;
  const UnixMicros now = NowMicros();
  *wake_at = Clock::now() + std::chrono::seconds(30);
  std::map<std::string, int> available;
  std::set<std::string> keys;
  std::set<std::string> batched_hosts;  // hosts with a batch lookup in this round
  const std::shared_ptr<fetcher::HostLimiter>& limiter = run_.archive.http.limiter;
  // One lane's scan; false when the round is full.
  const auto scan = [&](char mark) {
    std::string after;
    while (true) {
      auto page =
          store_.ScanService(std::string(1, mark), 2000, after, archive::Records::kSchedule);
      if (!page || page->empty()) return true;
      for (const auto& [record, value] : *page) {
        const UnixMicros due =
            static_cast<UnixMicros>(ReadBigEndian64(std::string_view(record).substr(1)));
        // Not due yet: it may ride along in a batch lookup going to its host anyway (a post
        // due within batch_ahead), else this lane is done.
        const bool early = due > now;
        if (early) {
          *wake_at = std::min(*wake_at, Clock::now() + std::chrono::microseconds(due - now));
          if (due > now + options_.batch_ahead.count() * kMicros || batched_hosts.empty()) {
            return true;
          }
        }
        Due d;
        d.record = record;
        if (!d.entry.ParseFromString(value) || d.entry.key().empty()) {
          static_cast<void>(store_.WriteService(
              std::vector<archive::ServiceWrite>{{record, "", true}}, archive::Records::kSchedule));
          continue;
        }
        if (keys.contains(d.entry.key())) continue;
        const std::string host = RequestHost(d.entry.key());
        if (early && !batched_hosts.contains(host)) continue;
        if (limiter) {
          auto [it, fresh] = available.emplace(host, 0);
          if (fresh) {
            // A token is one request: of a batch lookup's posts, as many as one request checks.
            it->second =
                limiter->Available(host) * static_cast<int>(PostsPerRequest(d.entry.key()));
            if (it->second == 0) {
              const auto gate = limiter->Ready(host);
              *wake_at = std::min(
                  *wake_at, std::max(gate.until, Clock::now() + std::chrono::milliseconds(50)));
            }
          }
          if (it->second <= 0) continue;
          --it->second;
        }
        if (!early && PostsPerRequest(d.entry.key()) > 1) batched_hosts.insert(host);
        keys.insert(d.entry.key());
        out.push_back(std::move(d));
        if (out.size() >= options_.max_per_round) return false;
      }
      if (page->size() < 2000) return true;
      after = page->back().first;
    }
  };
  if (scan(kUrgentMark)) scan(kDueMark);
  return out;
}

void Scheduler::Loop() {
  while (!stopping_) {
    Clock::time_point wake_at;
    std::vector<Due> round;
    try {
      round = TakeDue(&wake_at);
      if (!round.empty()) {
        RunRound(std::move(round));
        continue;
      }
    } catch (const std::exception&) {
      // Out of memory, say: the entries stay due; try again in a while rather than end the
      // process (no exception leaves this thread).
      wake_at = Clock::now() + std::chrono::seconds(5);
    }
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_until(lock, wake_at, [this] { return stopping_ || woken_; });
    woken_ = false;
  }
}

void Scheduler::RunRound(std::vector<Due> round) {
  fetcher::ArchiveOptions options = run_.archive;
  std::vector<std::string> keys;
  const UnixMicros started = NowMicros();
  for (const Due& d : round) {
    keys.push_back(d.entry.key());
    const Entry& e = d.entry;
    std::string trigger = e.trigger();
    if (trigger.empty()) {
      trigger = e.stage() == Entry::STAGE_CONFIRMING
                    ? "confirmation " + std::to_string(e.confirmations() + 1) + " of " +
                          std::to_string(options_.confirm_after.size())
                    : "recheck";
    }
    options.triggers[e.key()] = trigger;
    const double lag = static_cast<double>(started - proto::MicrosOf(e.due())) / kMicros;
    std::lock_guard<std::mutex> lock(mu_);
    size_t b = 0;
    while (b < std::size(SchedulerStats::kBuckets) && lag > SchedulerStats::kBuckets[b]) ++b;
    ++stats_.lag[b];
    stats_.lag_sum += std::max(0.0, lag);
  }
  std::vector<size_t> full = BatchCheck(round, options.http);
  if (full.empty() || stopping_) return;
  std::vector<std::string> full_keys;
  for (size_t i : full) full_keys.push_back(keys[i]);
  fetcher::Archiver archiver(store_, options);
  archiver.Archive(full_keys, [&](const fetcher::PostOutcome& o) {
    if (stopping_) return;  // cancelled: the entry stays due, for the next start
    if (o.index < full.size()) Settle(round[full[o.index]], o);
  });
}

// Batch lookups first, where the network has one (Bluesky's getPosts, 25 posts a request): a
// live post whose newest capture is whole and which the answer shows at the version stored is
// unchanged, settled here. The rest — left out of the answer (gone or hidden: its own request
// says which), at another version, confirming, asked for by Jetstream, or on a network without
// batches — are returned (indexes into `round`) for the archiver.
std::vector<size_t> Scheduler::BatchCheck(const std::vector<Due>& round,
                                          const fetcher::HttpOptions& http_options) {
  std::vector<size_t> full;
  struct Batch {
    const fetcher::Adapter* adapter = nullptr;
    std::vector<size_t> items;
    std::vector<ParsedPostKey> keys;
    std::vector<std::string> versions;
  };
  std::vector<Batch> batches;
  std::map<KeyPlatform, size_t> open;  // platform -> the batch being filled
  for (size_t i = 0; i < round.size(); ++i) {
    const Entry& e = round[i].entry;
    auto parsed = ParsePostKey(e.key());
    const fetcher::Adapter* adapter = parsed ? &fetcher::AdapterFor(parsed->platform) : nullptr;
    if (adapter == nullptr || adapter->BatchLimit() == 0 || !e.trigger().empty() ||
        e.stage() != Entry::STAGE_WATCHING) {
      full.push_back(i);
      continue;
    }
    auto state = store_.StateSummary(e.key());
    auto latest = store_.LatestGood(e.key());
    if (!state || state->current() != proto::PostState::CURRENT_LIVE || !latest ||
        latest->partial() || latest->post().upstream_version().empty()) {
      full.push_back(i);
      continue;
    }
    auto it = open.find(parsed->platform);
    if (it == open.end() || batches[it->second].items.size() >= adapter->BatchLimit()) {
      batches.push_back({adapter, {}, {}, {}});
      it = open.insert_or_assign(parsed->platform, batches.size() - 1).first;
    }
    Batch& b = batches[it->second];
    b.items.push_back(i);
    b.keys.push_back(*parsed);
    b.versions.push_back(latest->post().upstream_version());
  }
  if (batches.empty()) return full;
  fetcher::HttpClient http(http_options);
  for (const Batch& b : batches) {
    http.Add({b.adapter->BatchUrl(b.keys), fetcher::BodyKind::kJson},
             [this, &b, &round, &full](Result<fetcher::HttpResponse> r) {
               if (stopping_) return;
               Result<std::map<std::string, std::string>> shown = UnavailableError("no answer");
               if (r && r->status == 200) shown = b.adapter->InterpretBatch(r->body);
               if (!shown) {
                 // Rate-limited or refused: each post waits for its host like a failed fetch.
                 // Any other failure: each post is asked on its own.
                 const bool limited = !r || r->status == 429 || r->status == 403;
                 for (size_t i : b.items) {
                   if (!limited) {
                     full.push_back(i);
                     continue;
                   }
                   fetcher::PostOutcome o;
                   o.key = round[i].entry.key();
                   o.kind = fetcher::PostOutcome::Kind::kFailed;
                   o.detail = r ? "HTTP " + std::to_string(r->status) : r.error().message();
                   Settle(round[i], o);
                 }
                 return;
               }
               for (size_t j = 0; j < b.items.size(); ++j) {
                 const std::string& key = round[b.items[j]].entry.key();
                 auto v = shown->find(key);
                 if (v == shown->end() || v->second != b.versions[j]) {
                   full.push_back(b.items[j]);
                   continue;
                 }
                 fetcher::PostOutcome o;
                 o.key = key;
                 o.kind = fetcher::PostOutcome::Kind::kUnchanged;
                 Settle(round[b.items[j]], o);
               }
             });
  }
  http.Run();
  std::sort(full.begin(), full.end());
  return full;
}

// What one check found: the entry's next stage and due time, and an announcement when a change
// is confirmed.
void Scheduler::Settle(const Due& due, const fetcher::PostOutcome& o) {
  using Kind = fetcher::PostOutcome::Kind;
  Entry e = due.entry;
  const std::string key = e.key();
  const std::string platform = PlatformOf(key);
  const UnixMicros now = NowMicros();
  const std::string trigger = e.trigger();
  e.clear_trigger();
  if (o.kind == Kind::kNotAPost) {
    static_cast<void>(
        store_.WriteService(std::vector<archive::ServiceWrite>{{due.record, "", true},
                                                               {PostScheduleKey(key), "", true}},
                            archive::Records::kSchedule));
    return;
  }
  bool hot = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto v = views_.find(key); v != views_.end()) {
      hot = v->second >= options_.hot_views;
      views_.erase(v);
    }
  }
  std::string result;
  std::string announce;
  UnixMicros next = 0;
  if (o.kind == Kind::kFailed) {
    result = "failed";
    e.set_failures(e.failures() + 1);
    const int64_t base = options_.failed_retry.count() * kMicros;
    const int64_t cap = IntervalSeconds(key, hot) * kMicros;
    next = now +
           std::min<int64_t>(std::max(cap, base), base << std::min<uint32_t>(e.failures() - 1, 16));
    // A host that is held (429) or whose circuit is open: not before it may be asked.
    if (const auto& limiter = run_.archive.http.limiter) {
      const auto gate = limiter->Ready(RequestHost(key));
      if (gate.verdict != fetcher::HostLimiter::Verdict::kGo) {
        const auto wait =
            std::chrono::duration_cast<std::chrono::microseconds>(gate.until - Clock::now());
        next = now + std::max<int64_t>(0, wait.count());
      }
    }
    if (!trigger.empty()) e.set_trigger(trigger);  // a Jetstream event's check is still owed
  } else {
    e.set_failures(0);
    *e.mutable_last_checked() = proto::TimestampOf(now);
    if (o.kind == Kind::kGone) {
      result = "gone";
      const std::string kind(o.transition.empty() || !IsGoneTransition(o.transition)
                                 ? fetcher::TombstoneKindName(o.gone_kind)
                                 : std::string_view(o.transition));
      if (e.stage() == Entry::STAGE_GONE) {
        next = now + options_.gone_every.count() * kMicros;
      } else {
        if (e.stage() != Entry::STAGE_CONFIRMING) {
          e.set_stage(Entry::STAGE_CONFIRMING);
          e.set_confirmations(0);
          *e.mutable_first_gone() = proto::TimestampOf(now);
        } else {
          e.set_confirmations(e.confirmations() + 1);
        }
        e.set_gone_kind(kind);
        // A Jetstream delete that a fetch agrees with is two observations already.
        const bool streamed = trigger.starts_with("jetstream delete");
        if (e.confirmations() >= options_.confirm_after.size() || streamed) {
          e.set_stage(Entry::STAGE_GONE);
          announce = kind;
          next = now + options_.gone_every.count() * kMicros;
        } else {
          next = now + options_.confirm_after[e.confirmations()].count() * kMicros;
        }
      }
    } else {
      result = o.kind == Kind::kUnchanged ? "unchanged" : "changed";
      if (e.stage() == Entry::STAGE_GONE) announce = "restored";
      if (o.transition == "edited") announce = "edited";
      e.set_stage(Entry::STAGE_WATCHING);
      e.clear_confirmations();
      e.clear_gone_kind();
      e.clear_first_gone();
      next = now + Jittered(std::chrono::seconds(IntervalSeconds(key, hot)));
    }
  }
  if (!announce.empty()) {
    proto::ChangeEvent event;
    event.set_key(key);
    event.set_transition(announce);
    if (IsGoneTransition(announce)) *event.mutable_first_seen() = e.first_gone();
    event.set_trigger(trigger.empty() ? std::string("recheck") : trigger);
    if (o.kind == Kind::kGone) event.set_detail(o.detail);
    static_cast<void>(changes_.Announce(std::move(event)));
  }
  if (!options_.periodic && e.stage() != Entry::STAGE_CONFIRMING && e.trigger().empty()) {
    // Only asked-for checks (and their confirmations) without --recheck.
    static_cast<void>(
        store_.WriteService(std::vector<archive::ServiceWrite>{{due.record, "", true},
                                                               {PostScheduleKey(key), "", true}},
                            archive::Records::kSchedule));
  } else {
    static_cast<void>(Put(std::move(e), next, due.record));
  }
  std::lock_guard<std::mutex> lock(mu_);
  stats_.checks[{platform, result}]++;
  if (!announce.empty()) stats_.transitions[{platform, announce}]++;
}

}  // namespace stillpost::service
