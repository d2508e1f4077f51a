#include "service/jobs.h"

#include "common/time.h"
#include "proto/time.h"
#include "service/keys.h"
#include "service/tokens.h"

namespace stillpost::service {
namespace {

std::string PendingWhat(const proto::Job& job) {
  if (job.feeds_size() > 0) return job.feeds(0);
  if (job.inputs_size() > 0) return job.inputs(0);
  return {};
}

}  // namespace

std::string_view JobStateName(proto::Job::State state) {
  switch (state) {
    case proto::Job::STATE_QUEUED:
      return "queued";
    case proto::Job::STATE_RUNNING:
      return "running";
    case proto::Job::STATE_DONE:
      return "done";
    case proto::Job::STATE_FAILED:
      return "failed";
    default:
      return "unknown";
  }
}

JobQueue::JobQueue(archive::Store& store, Options options)
    : store_(store), options_(std::move(options)) {
  options_.run.archive.http.cancel = &stopping_;
  options_.run.archive.http.limiter_paces = false;  // asked for now: 429s and circuits only
}

JobQueue::~JobQueue() { Stop(); }

Status JobQueue::Start() {
  std::string after;
  for (;;) {
    SP_ASSIGN_OR_RETURN(auto page, store_.ScanService(kQueuePrefix, 1000, after));
    if (page.empty()) break;
    for (const auto& [key, value] : page) {
      const std::string id = key.substr(kQueuePrefix.size());
      auto stored = store_.GetService(JobKey(id));
      proto::Job job;
      if (!stored || !job.ParseFromString(*stored)) continue;
      std::lock_guard<std::mutex> lock(mu_);
      unfinished_[id] = {job.submitted_by(), PendingWhat(job)};
    }
    after = page.back().first;
  }
  stopping_ = false;
  worker_ = std::thread([this] { Worker(); });
  return Status::Ok();
}

void JobQueue::Stop() {
  stopping_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

Status JobQueue::Persist(const proto::Job& job, bool finished) {
  std::vector<archive::ServiceWrite> writes;
  writes.push_back({JobKey(job.id()), job.SerializeAsString(), false});
  if (finished) writes.push_back({QueueKey(job.id()), "", true});
  return store_.WriteService(writes);
}

Result<proto::Job> JobQueue::Submit(proto::Job spec) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (unfinished_.size() >= options_.max_unfinished) {
      return UnavailableError(std::to_string(unfinished_.size()) +
                              " jobs are waiting already; try again later");
    }
  }
  const UnixMicros now = NowMicros();
  SP_ASSIGN_OR_RETURN(std::string id, NewTimeOrderedId(now, 8));
  spec.set_id(id);
  spec.set_state(proto::Job::STATE_QUEUED);
  *spec.mutable_created_at() = proto::TimestampOf(now);
  std::vector<archive::ServiceWrite> writes;
  writes.push_back({JobKey(id), spec.SerializeAsString(), false});
  writes.push_back({QueueKey(id), "", false});
  SP_RETURN_IF_ERROR(store_.WriteService(writes));
  {
    std::lock_guard<std::mutex> lock(mu_);
    unfinished_[id] = {spec.submitted_by(), PendingWhat(spec)};
    woken_ = true;
  }
  wake_.notify_all();
  spec.clear_pages();  // the caller has them; the answer need not carry them back
  return spec;
}

Result<JobView> JobQueue::Get(const std::string& id) const {
  auto stored = store_.GetService(JobKey(id));
  if (!stored) {
    return stored.error().code() == StatusCode::kNotFound ? NotFoundError("no job " + id)
                                                          : stored.error();
  }
  JobView view;
  if (!view.job.ParseFromString(*stored)) return DataLossError("unreadable job " + id);
  view.job.clear_pages();
  const size_t expected = static_cast<size_t>(view.job.refs_size());
  SP_ASSIGN_OR_RETURN(auto records, store_.ScanService(OutcomesPrefix(id), expected + 1));
  for (const auto& [key, value] : records) {
    proto::JobOutcome o;
    if (o.ParseFromString(value)) view.outcomes.push_back(std::move(o));
  }
  return view;
}

bool JobQueue::Pending(const std::string& by, const std::string& input) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, what] : unfinished_) {
    if (what.first == by && what.second == input) return true;
  }
  return false;
}

JobStats JobQueue::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  JobStats s = stats_;
  s.running = running_ ? 1 : 0;
  s.queued = unfinished_.size() > s.running ? unfinished_.size() - s.running : 0;
  return s;
}

void JobQueue::Worker() {
  while (!stopping_) {
    // The oldest unfinished job: ids sort by submission time.
    auto next = store_.ScanService(kQueuePrefix, 1);
    proto::Job job;
    bool have = false;
    if (next && !next->empty()) {
      const std::string id = next->front().first.substr(kQueuePrefix.size());
      auto stored = store_.GetService(JobKey(id));
      have = stored && job.ParseFromString(*stored);
      if (!have) {
        // A queue entry without a readable job: nothing to run; drop the entry.
        static_cast<void>(
            store_.WriteService(std::vector<archive::ServiceWrite>{{QueueKey(id), "", true}}));
        std::lock_guard<std::mutex> lock(mu_);
        unfinished_.erase(id);
        continue;
      }
    }
    if (!have) {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, std::chrono::seconds(1), [this] { return woken_ || stopping_.load(); });
      woken_ = false;
      continue;
    }
    if (!RunOne(std::move(job))) {
      // It could not be finished (a store error): not again at once.
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_.load(); });
    }
  }
}

bool JobQueue::RunOne(proto::Job job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_ = true;
  }
  const UnixMicros created = proto::MicrosOf(job.created_at());
  job.set_state(proto::Job::STATE_RUNNING);
  if (!job.has_started_at()) *job.mutable_started_at() = proto::TimestampOf(NowMicros());
  Status persisted = Persist(job, false);
  std::map<size_t, fetcher::PostOutcome> known;
  if (persisted.ok()) {
    if (auto records = store_.ScanService(OutcomesPrefix(job.id()), 1u << 30)) {
      for (const auto& [key, value] : *records) {
        proto::JobOutcome o;
        if (o.ParseFromString(value)) known.emplace(o.index(), OutcomeFromProto(o));
      }
    }
  }
  RunEvents events;
  events.on_expanded = [this](const proto::Job& expanded) { return Persist(expanded, false); };
  events.on_outcome = [this, &job, created](const fetcher::PostOutcome& o) {
    if (stopping_) return;  // cancelled transfers are not outcomes: the job runs again
    proto::JobOutcome p = OutcomeToProto(o);
    if (o.recovered) {
      p.set_detail(o.detail.empty() ? "recovered after a restart"
                                    : o.detail + "; recovered after a restart");
    }
    static_cast<void>(store_.WriteService(std::vector<archive::ServiceWrite>{
        {OutcomeKey(job.id(), o.index), p.SerializeAsString(), false}}));
    if (options_.on_outcome) options_.on_outcome(o);
    const double seconds = static_cast<double>(NowMicros() - created) / 1e6;
    std::lock_guard<std::mutex> lock(mu_);
    size_t b = 0;
    while (b < std::size(JobStats::kBuckets) && seconds > JobStats::kBuckets[b]) ++b;
    ++stats_.latency[b];
    stats_.latency_sum += seconds;
  };
  Result<std::vector<fetcher::PostOutcome>> ran = UnavailableError("not run");
  if (persisted.ok()) {
    ran = RunJob(store_, job, options_.run, known, events);
  } else {
    ran = persisted;
  }
  // Stopped: left unfinished, for the next start.
  const bool stopped = stopping_;
  bool finished = false;
  if (!stopped) {
    job.set_state(ran ? proto::Job::STATE_DONE : proto::Job::STATE_FAILED);
    if (!ran) job.set_error(ran.error().message());
    *job.mutable_finished_at() = proto::TimestampOf(NowMicros());
    // Outside the lock: a synced write must not hold up Pending() on the event loops.
    finished = Persist(job, true).ok();  // not persisted: still queued, it runs again
  }
  std::lock_guard<std::mutex> lock(mu_);
  running_ = false;
  if (stopped) return true;
  if (!finished) return false;
  unfinished_.erase(job.id());
  ++(ran ? stats_.done : stats_.failed);
  return true;
}

}  // namespace stillpost::service
