// `serve --recheck`: every archived post re-fetched on a schedule of its own, so that a deletion
// is noticed without anyone running `recheck`. The schedule is durable (the store's schedule
// column family: one entry per post under its due time, so one ordered scan from the start takes
// what is due) and survives restarts. How often depends on the age of the newest article that
// embeds the post (else the post's own age), hotter embeds more often; a first "gone" is
// confirmed by re-fetches after short delays before it is announced (changes.h), and every
// fetch that sees the post gone is a capture. Requests go through the process's HostLimiter
// (fetcher/rate_limit.h): posts are taken only as their host's bucket allows, and a host that
// answered 429 is not asked again before its wait.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "archive/store.h"
#include "service/changes.h"
#include "service/run.h"
#include "stillpost.pb.h"

namespace stillpost::service {

struct RecheckOptions {
  struct Tier {
    std::chrono::seconds younger_than;  // the newest embedding article (or the post) is ...
    std::chrono::seconds every;         // ... checked this often
  };
  std::vector<Tier> tiers = {{std::chrono::hours(24), std::chrono::minutes(15)},
                             {std::chrono::hours(24 * 7), std::chrono::hours(1)},
                             {std::chrono::hours(24 * 30), std::chrono::hours(6)},
                             {std::chrono::hours(24 * 365), std::chrono::hours(24 * 7)}};
  std::chrono::seconds oldest_every = std::chrono::hours(24 * 30);
  // A post whose embeds were viewed this often since its last check is hot: half the interval.
  uint64_t hot_views = 100;
  std::chrono::seconds floor = std::chrono::minutes(5);
  double jitter = 0.1;  // ± this share of each interval
  // A first "gone" is fetched again after each of these before it is announced.
  std::vector<std::chrono::seconds> confirm_after = {std::chrono::minutes(2),
                                                     std::chrono::hours(1)};
  std::chrono::seconds gone_every = std::chrono::hours(24 * 30);  // confirmed gone: a restore?
  std::chrono::seconds failed_retry = std::chrono::minutes(5);    // doubled per failure in a row
  // A post due within this long may join a batch lookup (Bluesky's getPosts) going to its host
  // now, so that posts due a little apart share requests.
  std::chrono::seconds batch_ahead = std::chrono::minutes(1);
  size_t max_per_round = 500;  // posts fetched together
  // false (serve --jetstream without --recheck): only posts asked for by CheckNow are fetched;
  // nothing is scheduled by age.
  bool periodic = true;

  // --recheck-every D: every interval and every confirmation delay is D (tests, demos).
  void SetEvery(std::chrono::seconds every);
};

// The interval before the next check of a post `age` old (its newest embedding article's age,
// else its own), before jitter: the first tier it is younger than, halved when hot, never under
// the floor.
std::chrono::seconds RecheckInterval(const RecheckOptions& options, std::chrono::seconds age,
                                     bool hot);

// Counters for /metrics.
struct SchedulerStats {
  uint64_t scheduled = 0;      // posts in the schedule
  double due_lag_seconds = 0;  // how long the oldest due entry has waited
  // Lag of each check (its start minus its due time): upper bounds in seconds and counts.
  static constexpr double kBuckets[] = {0.5, 1,   2,   5,    10,    30,   60,
                                        120, 300, 900, 3600, 21600, 86400};
  uint64_t lag[std::size(kBuckets) + 1] = {};
  double lag_sum = 0;
  std::map<std::pair<std::string, std::string>, uint64_t> checks;       // (platform, result)
  std::map<std::pair<std::string, std::string>, uint64_t> transitions;  // (platform, transition)
};

// Thread safety: every method may be called from any thread once Start() returned.
class Scheduler {
 public:
  // Borrows `store` and `changes`, which must outlive it. `run.archive.http.limiter` should be
  // set (the process's one HostLimiter).
  Scheduler(archive::Store& store, Changes& changes, RecheckOptions options, RunSettings run);
  ~Scheduler();  // Stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Schedules every stored post that has no entry yet, then starts the thread.
  Status Start();
  void Stop();

  // A post just captured by a job: scheduled when it has no entry yet.
  void Track(const std::string& key);
  // Check the post as soon as its host allows (a Jetstream delete or update); `trigger` is
  // recorded on the capture (Capture.trigger) and the announcement. NotFound for a post the
  // store does not hold.
  Status CheckNow(const std::string& key, const std::string& trigger);
  // An embed of `key` was served (hot posts are checked more often).
  void CountView(std::string_view key);

  SchedulerStats stats() const;

 private:
  struct Due {
    std::string record;  // its schedule key
    proto::ScheduleEntry entry;
  };
  void Loop();
  Status Seed();
  std::vector<Due> TakeDue(std::chrono::steady_clock::time_point* wake_at);
  void RunRound(std::vector<Due> round);
  std::vector<size_t> BatchCheck(const std::vector<Due>& round,
                                 const fetcher::HttpOptions& http_options);
  void Settle(const Due& due, const fetcher::PostOutcome& outcome);
  // Writes the entry under its new due time (and the post's pointer to it), removing `old`.
  Status Put(proto::ScheduleEntry entry, UnixMicros due, std::string_view old_record);
  // The post's interval in seconds (before jitter).
  int64_t IntervalSeconds(const std::string& key, bool hot) const;
  UnixMicros Jittered(std::chrono::seconds interval);

  archive::Store& store_;
  Changes& changes_;
  RecheckOptions options_;
  RunSettings run_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool woken_ = false;
  SchedulerStats stats_;
  std::map<std::string, uint64_t, std::less<>> views_;  // embed views since the last check
  std::mt19937_64 rng_{std::random_device{}()};
  std::thread thread_;
};

}  // namespace stillpost::service
