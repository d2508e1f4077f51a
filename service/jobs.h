// The server's archive jobs, durable in the store's service records: submitted (POST
// /api/v1/archive, the CLI, embed.js's seen pages, watched feeds), run one at a time on a thread
// of their own (never an HTTP event loop), each post's outcome written as it finishes. A job cut
// short by a crash or a stop is run again on the next Start(): its expansion is reused, posts
// with an outcome are not fetched again, and a post captured just before the crash is found by
// its capture's job stamp (Capture.job), so each post is captured once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "archive/store.h"
#include "common/status.h"
#include "service/run.h"
#include "stillpost.pb.h"

namespace stillpost::service {

// A job with the outcomes written so far, in index order.
struct JobView {
  proto::Job job;
  std::vector<proto::JobOutcome> outcomes;
};

// Counters for /metrics (since the process started, but queued/running: now).
struct JobStats {
  uint64_t queued = 0;
  uint64_t running = 0;
  uint64_t done = 0;
  uint64_t failed = 0;
  // Seconds from a job's submission to each of its posts' outcome: upper bounds and counts.
  static constexpr double kBuckets[] = {0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800};
  uint64_t latency[std::size(kBuckets) + 1] = {};
  double latency_sum = 0;
};

// Thread safety: every method may be called from any thread.
class JobQueue {
 public:
  struct Options {
    RunSettings run;
    size_t max_unfinished = 10'000;  // Submit() refuses more (ResourceExhausted)
    // Each post's outcome once stored (on the worker thread): the scheduler tracks new posts.
    std::function<void(const fetcher::PostOutcome&)> on_outcome;
  };
  // Borrows `store`, which must outlive the queue.
  JobQueue(archive::Store& store, Options options);
  ~JobQueue();  // Stop()
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // Counts what is unfinished in the store and starts the worker, which resumes it first.
  Status Start();
  // Stops the worker: the job in flight ends within a second or so (its transfers cancelled)
  // and stays unfinished in the store, for the next Start().
  void Stop();

  // Stores `spec` as a new queued job (id, state and times set here) and wakes the worker.
  // Unavailable when too many jobs are unfinished (try again later).
  Result<proto::Job> Submit(proto::Job spec);
  // NotFound for an unknown id.
  Result<JobView> Get(const std::string& id) const;
  // Whether an unfinished job was submitted by `by` for `input` (a feed or a page) already.
  bool Pending(const std::string& by, const std::string& input) const;
  JobStats stats() const;

 private:
  void Worker();
  bool RunOne(proto::Job job);  // false: it could not be finished, and stays queued
  Status Persist(const proto::Job& job, bool finished);

  archive::Store& store_;
  Options options_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool woken_ = false;
  JobStats stats_;        // done, failed and latencies; queued and running are counted in stats()
  bool running_ = false;  // the worker is in RunOne()
  // Unfinished jobs' (submitted_by, first input or feed), for Pending() and the queue depth.
  std::map<std::string, std::pair<std::string, std::string>> unfinished_;
  std::thread worker_;
};

// "queued", "running", "done", "failed".
std::string_view JobStateName(proto::Job::State state);

}  // namespace stillpost::service
