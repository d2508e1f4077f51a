#include "service/service.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <functional>
#include <sstream>

#include "common/numbers.h"
#include "common/time.h"
#include "common/web.h"
#include "proto/time.h"
#include "service/keys.h"

namespace stillpost::service {
namespace {

namespace json = boost::json;

ApiReply Reply(int status, json::object body) {
  ApiReply r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

ApiReply Failed(Status error) {
  ApiReply r;
  r.error = std::move(error);
  return r;
}

// No valid credential: 404 when the write routes are off for the network (no --tokens).
ApiReply Unauthenticated(bool routes_on, std::string why) {
  if (!routes_on) return Failed(NotFoundError("no such route"));
  ApiReply r = Failed(PermissionDeniedError(std::move(why)));
  r.unauthenticated = true;
  return r;
}

// A JSON array of strings at `name` of `o`, appended to `out`; InvalidArgument otherwise.
Status Strings(const json::object& o, std::string_view name, std::vector<std::string>& out) {
  auto it = o.find(name);
  if (it == o.end()) return Status::Ok();
  if (!it->value().is_array()) {
    return InvalidArgumentError("\"" + std::string(name) + "\" must be an array of strings");
  }
  for (const auto& v : it->value().as_array()) {
    if (!v.is_string()) {
      return InvalidArgumentError("\"" + std::string(name) + "\" must be an array of strings");
    }
    out.emplace_back(v.as_string());
  }
  return Status::Ok();
}

Result<bool> Bool(const json::object& o, std::string_view name) {
  auto it = o.find(name);
  if (it == o.end()) return false;
  if (!it->value().is_bool()) {
    return InvalidArgumentError("\"" + std::string(name) + "\" must be true or false");
  }
  return it->value().as_bool();
}

// The request body as a JSON object; InvalidArgument (with the parser's words) otherwise.
Result<json::object> BodyObject(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return InvalidArgumentError("the body is not JSON: " + ec.message());
  if (!v.is_object()) return InvalidArgumentError("the body must be a JSON object");
  return std::move(v.as_object());
}

// A Prometheus label value: quotes and backslashes escaped, newlines dropped.
std::string LabelValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    if (c != '\n') out += c;
  }
  return out;
}

}  // namespace

Service::Service(archive::Store& store, ServiceOptions options)
    : store_(store),
      options_(std::move(options)),
      changes_(store, options_.changes),
      queue_(store,
             JobQueue::Options{
                 options_.run, options_.max_unfinished_jobs, [this](const fetcher::PostOutcome& o) {
                   if (scheduler_ && (o.kind == fetcher::PostOutcome::Kind::kCaptured ||
                                      o.kind == fetcher::PostOutcome::Kind::kGone)) {
                     scheduler_->Track(o.key);
                   }
                 }}) {
  options_.recheck_options.periodic = options_.recheck;
  if (options_.recheck || !options_.jetstream.url.empty()) {
    scheduler_ =
        std::make_unique<Scheduler>(store, changes_, options_.recheck_options, options_.run);
  }
  if (!options_.jetstream.url.empty()) {
    jetstream_ = std::make_unique<Jetstream>(store, *scheduler_, options_.jetstream);
  }
  // A fresh 64-hex-digit token (NewToken): Add() refuses only short ones.
  if (!options_.local_token.empty()) static_cast<void>(local_.Add("local", options_.local_token));
}

Service::~Service() { Stop(); }

Status Service::Start() {
  SP_RETURN_IF_ERROR(changes_.Start());
  if (scheduler_) SP_RETURN_IF_ERROR(scheduler_->Start());
  if (jetstream_) SP_RETURN_IF_ERROR(jetstream_->Start());
  SP_RETURN_IF_ERROR(queue_.Start());
  if (!options_.watch.empty()) watcher_ = std::thread([this] { Watcher(); });
  return Status::Ok();
}

void Service::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  queue_.Stop();
  if (jetstream_) jetstream_->Stop();
  if (scheduler_) scheduler_->Stop();
  changes_.Stop();
}

ApiReply Service::ChangesFeed(std::string_view article) const {
  ApiReply r;
  auto feed = changes_.Atom(article);
  if (!feed) {
    r.error = feed.error();
    return r;
  }
  r.body = std::move(*feed);
  r.content_type = "application/atom+xml; charset=utf-8";
  return r;
}

void Service::CountView(std::string_view key) {
  if (scheduler_) scheduler_->CountView(key);
}

std::string Service::Authenticate(std::string_view authorization) const {
  std::string name = options_.tokens.Authenticate(authorization);
  return name.empty() ? local_.Authenticate(authorization) : name;
}

ApiReply Service::Archive(std::string_view authorization, std::string_view body) {
  const std::string by = Authenticate(authorization);
  if (by.empty()) {
    return Unauthenticated(!options_.tokens.empty(),
                           "the archive API needs Authorization: Bearer TOKEN (--tokens)");
  }
  auto o = BodyObject(body);
  if (!o) return Failed(o.error());
  for (const auto& kv : *o) {
    const std::string_view k = kv.key();
    if (k != "urls" && k != "pages" && k != "feeds" && k != "force" && k != "whole_page" &&
        k != "recheck") {
      return Failed(
          InvalidArgumentError("unknown field \"" + ValidUtf8(k) +
                               "\" (expected urls, pages, feeds, force, whole_page, recheck)"));
    }
  }
  proto::Job spec;
  spec.set_submitted_by(by);
  std::vector<std::string> urls, feeds;
  if (Status s = Strings(*o, "urls", urls); !s.ok()) return Failed(s);
  if (Status s = Strings(*o, "feeds", feeds); !s.ok()) return Failed(s);
  for (size_t i = 0; i < urls.size(); ++i) {
    if (auto kind = ClassifyInput(urls[i], options_.run.archive.nitter_hosts); !kind) {
      return Failed(kind.error().WithContext("urls[" + std::to_string(i) + "]"));
    }
    spec.add_inputs(urls[i]);
  }
  for (size_t i = 0; i < feeds.size(); ++i) {
    if (!IsHttpUrl(feeds[i])) {
      return Failed(InvalidArgumentError("feeds[" + std::to_string(i) +
                                         "]: not an http(s) URL: " + ValidUtf8(feeds[i])));
    }
    spec.add_feeds(feeds[i]);
  }
  if (auto it = o->find("pages"); it != o->end()) {
    if (!it->value().is_array()) return Failed(InvalidArgumentError("\"pages\" must be an array"));
    for (const auto& p : it->value().as_array()) {
      const json::object* po = p.if_object();
      const json::value* html = po ? po->if_contains("html") : nullptr;
      const json::value* url = po ? po->if_contains("url") : nullptr;
      const json::value* position = po ? po->if_contains("position") : nullptr;
      if (html == nullptr || !html->is_string() || (url != nullptr && !url->is_string()) ||
          (position != nullptr && !position->is_int64())) {
        return Failed(InvalidArgumentError("each of \"pages\" is {\"html\": TEXT, \"url\": URL}"));
      }
      auto* page = spec.add_pages();
      page->set_html(std::string(html->as_string()));
      if (url != nullptr) page->set_url(std::string(url->as_string()));
      page->set_position(position != nullptr
                             ? static_cast<uint32_t>(std::max<int64_t>(0, position->as_int64()))
                             : static_cast<uint32_t>(spec.inputs_size()));
    }
  }
  auto force = Bool(*o, "force");
  auto whole_page = Bool(*o, "whole_page");
  auto recheck = Bool(*o, "recheck");
  for (const auto* b : {&force, &whole_page, &recheck}) {
    if (!*b) return Failed(b->error());
  }
  spec.set_force(*force);
  spec.set_whole_page(*whole_page);
  spec.set_recheck(*recheck);
  const size_t n = static_cast<size_t>(spec.inputs_size() + spec.pages_size() + spec.feeds_size());
  if (n == 0) {
    return Failed(InvalidArgumentError("nothing to archive: give \"urls\" (or pages or feeds)"));
  }
  if (n > options_.max_inputs_per_job) {
    return Failed(InvalidArgumentError("too many inputs in one job (" + std::to_string(n) +
                                       "; at most " + std::to_string(options_.max_inputs_per_job) +
                                       ")"));
  }
  auto job = queue_.Submit(std::move(spec));
  if (!job) {
    ApiReply r = Failed(job.error());
    if (job.error().code() == StatusCode::kUnavailable) r.retry_after = 60;
    return r;
  }
  json::object out;
  out["job"] = job->id();
  out["state"] = "queued";
  out["url"] = "/api/v1/jobs/" + job->id();
  ApiReply r = Reply(202, std::move(out));
  r.location = "/api/v1/jobs/" + job->id();
  return r;
}

ApiReply Service::Job(std::string_view authorization, std::string_view id) {
  if (Authenticate(authorization).empty()) {
    return Unauthenticated(!options_.tokens.empty(),
                           "jobs need Authorization: Bearer TOKEN (--tokens)");
  }
  auto view = queue_.Get(std::string(id));
  if (!view) return Failed(view.error());
  ApiReply r;
  r.body = JobJson(*view);
  return r;
}

void Service::CountSeen(std::string_view decision) {
  std::lock_guard<std::mutex> lock(mu_);
  ++seen_decisions_[std::string(decision)];
}

ApiReply Service::Seen(std::string_view origin_header, std::string_view body) {
  if (options_.seen.origins.empty()) return Failed(NotFoundError("no such route"));
  auto o = BodyObject(body);
  const json::value* page_value = o ? o->if_contains("page") : nullptr;
  if (page_value == nullptr || !page_value->is_string() ||
      !IsHttpUrl(std::string(page_value->as_string()))) {
    CountSeen("bad_request");
    return Failed(InvalidArgumentError("seen needs {\"page\": URL} with the page's http(s) URL"));
  }
  std::string page(page_value->as_string());
  if (const size_t hash = page.find('#'); hash != std::string::npos) page.resize(hash);
  const std::string origin = OriginOf(page);
  const auto& allowed = options_.seen.origins;
  const bool page_allowed =
      !origin.empty() && std::find(allowed.begin(), allowed.end(), origin) != allowed.end();
  std::string header_origin;
  if (!origin_header.empty()) {
    if (auto n = NormalizeOrigin(origin_header)) header_origin = *n;
  }
  if (!page_allowed || (!origin_header.empty() && header_origin != origin)) {
    CountSeen("forbidden");
    return Failed(PermissionDeniedError("pages of " +
                                        (origin.empty() ? std::string("that origin") : origin) +
                                        " are not archived on first view here"));
  }
  ApiReply r;
  const UnixMicros now = NowMicros();
  const int64_t rescan =
      std::chrono::duration_cast<std::chrono::microseconds>(options_.seen.rescan_after).count();
  auto last = store_.GetService(SeenPageKey(page));
  const std::optional<uint64_t> last_at = last ? ParseDigits(*last) : std::nullopt;
  if ((last_at && now - static_cast<int64_t>(*last_at) < rescan) || queue_.Pending("seen", page)) {
    CountSeen("recent");
    json::object out;
    out["decision"] = "recent";
    out["page"] = page;
    r = Reply(200, std::move(out));
    r.allow_origin = origin;
    return r;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& [count, hour_start] = budgets_[origin];
    if (now - hour_start >= 3'600'000'000LL) {
      count = 0;
      hour_start = now;
    }
    if (count >= options_.seen.origin_budget_per_hour) {
      ++seen_decisions_["over_budget"];
      r = Failed(ResourceExhaustedError("too many pages of " + origin + " this hour"));
      r.retry_after = static_cast<int>((hour_start + 3'600'000'000LL - now) / 1'000'000) + 1;
      r.allow_origin = origin;
      return r;
    }
    ++count;
  }
  proto::Job spec;
  spec.set_submitted_by("seen");
  spec.add_inputs(page);
  spec.set_seen_origin(origin);
  if (Status s = store_.WriteService(
          std::vector<archive::ServiceWrite>{{SeenPageKey(page), std::to_string(now), false}});
      !s.ok()) {
    CountSeen("error");
    return Failed(s);
  }
  auto job = queue_.Submit(std::move(spec));
  if (!job) {
    CountSeen("error");
    r = Failed(job.error());
    r.allow_origin = origin;
    return r;
  }
  CountSeen("accepted");
  json::object out;
  out["decision"] = "accepted";
  out["page"] = page;
  out["job"] = job->id();
  r = Reply(202, std::move(out));
  r.allow_origin = origin;
  return r;
}

void Service::Watcher() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    for (const auto& feed : options_.watch) {
      // One read of a feed at a time: a read still waiting is not asked for twice.
      if (queue_.Pending("watch", feed)) continue;
      proto::Job spec;
      spec.set_submitted_by("watch");
      spec.add_feeds(feed);
      if (queue_.Submit(std::move(spec))) {
        std::lock_guard<std::mutex> count(mu_);
        ++watch_submitted_[feed];
      }
    }
    lock.lock();
    wake_.wait_for(lock, options_.watch_every, [this] { return stopping_; });
  }
}

std::string Service::Metrics() const {
  const JobStats s = queue_.stats();
  std::ostringstream m;
  m << "# HELP stillpost_jobs Archive jobs by state: queued and running now, done and failed "
       "since the server started.\n# TYPE stillpost_jobs gauge\n";
  m << "stillpost_jobs{state=\"queued\"} " << s.queued << "\n";
  m << "stillpost_jobs{state=\"running\"} " << s.running << "\n";
  m << "stillpost_jobs{state=\"done\"} " << s.done << "\n";
  m << "stillpost_jobs{state=\"failed\"} " << s.failed << "\n";
  m << "# HELP stillpost_job_queue_depth Jobs waiting or running.\n"
       "# TYPE stillpost_job_queue_depth gauge\n";
  m << "stillpost_job_queue_depth " << s.queued + s.running << "\n";
  m << "# HELP stillpost_archive_seconds From a job's submission to each post's outcome.\n"
       "# TYPE stillpost_archive_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t b = 0; b < std::size(JobStats::kBuckets); ++b) {
    cumulative += s.latency[b];
    m << "stillpost_archive_seconds_bucket{le=\"" << JobStats::kBuckets[b] << "\"} " << cumulative
      << "\n";
  }
  cumulative += s.latency[std::size(JobStats::kBuckets)];
  m << "stillpost_archive_seconds_bucket{le=\"+Inf\"} " << cumulative << "\n";
  m << "stillpost_archive_seconds_sum " << s.latency_sum << "\n";
  m << "stillpost_archive_seconds_count " << cumulative << "\n";
  std::lock_guard<std::mutex> lock(mu_);
  m << "# HELP stillpost_seen_decisions_total Pages embed.js reported, by what was decided.\n"
       "# TYPE stillpost_seen_decisions_total counter\n";
  for (const char* d : {"accepted", "recent", "over_budget", "forbidden", "bad_request", "error"}) {
    auto it = seen_decisions_.find(d);
    m << "stillpost_seen_decisions_total{decision=\"" << d << "\"} "
      << (it == seen_decisions_.end() ? 0 : it->second) << "\n";
  }
  m << "# HELP stillpost_feed_reads_total Reads of watched feeds submitted.\n"
       "# TYPE stillpost_feed_reads_total counter\n";
  for (const auto& [feed, n] : watch_submitted_) {
    m << "stillpost_feed_reads_total{feed=\"" << LabelValue(feed) << "\"} " << n << "\n";
  }
  m << ExtraMetrics();
  return m.str();
}

// The scheduler's, the hosts', Jetstream's and the webhooks' series.
std::string Service::ExtraMetrics() const {
  std::ostringstream m;
  if (scheduler_) {
    const SchedulerStats s = scheduler_->stats();
    m << "# HELP stillpost_recheck_scheduled Posts in the re-check schedule.\n"
         "# TYPE stillpost_recheck_scheduled gauge\n"
      << "stillpost_recheck_scheduled " << s.scheduled << "\n";
    m << "# HELP stillpost_recheck_due_lag_seconds How long the oldest due check has waited.\n"
         "# TYPE stillpost_recheck_due_lag_seconds gauge\n"
      << "stillpost_recheck_due_lag_seconds " << s.due_lag_seconds << "\n";
    m << "# HELP stillpost_recheck_lag_seconds From each check's due time to its start.\n"
         "# TYPE stillpost_recheck_lag_seconds histogram\n";
    uint64_t cumulative = 0;
    for (size_t b = 0; b < std::size(SchedulerStats::kBuckets); ++b) {
      cumulative += s.lag[b];
      m << "stillpost_recheck_lag_seconds_bucket{le=\"" << SchedulerStats::kBuckets[b] << "\"} "
        << cumulative << "\n";
    }
    cumulative += s.lag[std::size(SchedulerStats::kBuckets)];
    m << "stillpost_recheck_lag_seconds_bucket{le=\"+Inf\"} " << cumulative << "\n"
      << "stillpost_recheck_lag_seconds_sum " << s.lag_sum << "\n"
      << "stillpost_recheck_lag_seconds_count " << cumulative << "\n";
    m << "# HELP stillpost_recheck_checks_total Re-checks by platform and what they found.\n"
         "# TYPE stillpost_recheck_checks_total counter\n";
    for (const auto& [k, n] : s.checks) {
      m << "stillpost_recheck_checks_total{platform=\"" << k.first << "\",result=\"" << k.second
        << "\"} " << n << "\n";
    }
    m << "# HELP stillpost_recheck_transitions_total Confirmed changes announced, by platform.\n"
         "# TYPE stillpost_recheck_transitions_total counter\n";
    for (const auto& [k, n] : s.transitions) {
      m << "stillpost_recheck_transitions_total{platform=\"" << k.first << "\",transition=\""
        << k.second << "\"} " << n << "\n";
    }
  }
  if (const auto& limiter = options_.run.archive.http.limiter) {
    const auto hosts = limiter->Stats();
    using Stats = fetcher::HostLimiter::HostStats;
    // One series per host: NAME{host="..."} VALUE, under its HELP and TYPE.
    const auto per_host = [&](const char* name, const char* type, const char* help,
                              const std::function<double(const Stats&)>& value) {
      m << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
      for (const auto& h : hosts) {
        m << name << "{host=\"" << LabelValue(h.host) << "\"} " << value(h) << "\n";
      }
    };
    per_host("stillpost_host_tokens", "gauge",
             "Requests a host's bucket allows now (of its burst).",
             [](const Stats& h) { return h.tokens; });
    per_host("stillpost_host_circuit_open", "gauge",
             "Whether a host's circuit is open (1) or closed.",
             [](const Stats& h) { return h.circuit_open ? 1.0 : 0.0; });
    per_host("stillpost_host_held_seconds", "gauge",
             "Until a host may be asked again (429, circuit).",
             [](const Stats& h) { return h.held_seconds; });
    per_host("stillpost_host_requests_total", "counter", "Requests sent per host.",
             [](const Stats& h) { return static_cast<double>(h.requests); });
    per_host("stillpost_host_rate_limited_total", "counter", "429 answers per host.",
             [](const Stats& h) { return static_cast<double>(h.limited); });
    per_host("stillpost_host_circuit_opened_total", "counter", "Times a host's circuit opened.",
             [](const Stats& h) { return static_cast<double>(h.circuit_opened); });
  }
  if (jetstream_) {
    const JetstreamStats j = jetstream_->stats();
    m << "# HELP stillpost_jetstream_connected Jetstream connections open now.\n"
         "# TYPE stillpost_jetstream_connected gauge\n"
      << "stillpost_jetstream_connected " << j.connected << "\n"
      << "# HELP stillpost_jetstream_events_total Jetstream events read.\n"
         "# TYPE stillpost_jetstream_events_total counter\n"
      << "stillpost_jetstream_events_total " << j.events << "\n"
      << "# HELP stillpost_jetstream_acted_total Deletes and updates of archived posts acted on.\n"
         "# TYPE stillpost_jetstream_acted_total counter\n"
      << "stillpost_jetstream_acted_total " << j.acted << "\n"
      << "# HELP stillpost_jetstream_disconnects_total Connections lost or refused.\n"
         "# TYPE stillpost_jetstream_disconnects_total counter\n"
      << "stillpost_jetstream_disconnects_total " << j.errors << "\n"
      << "# HELP stillpost_jetstream_cursor_seconds The cursor (the last event's time).\n"
         "# TYPE stillpost_jetstream_cursor_seconds gauge\n"
      << "stillpost_jetstream_cursor_seconds " << static_cast<double>(j.cursor) / 1e6 << "\n";
  }
  const ChangesStats c = changes_.stats();
  m << "# HELP stillpost_changes_announced_total Confirmed changes announced.\n"
       "# TYPE stillpost_changes_announced_total counter\n"
    << "stillpost_changes_announced_total " << c.announced << "\n"
    << "# HELP stillpost_webhook_deliveries_total Webhook deliveries by result.\n"
       "# TYPE stillpost_webhook_deliveries_total counter\n"
    << "stillpost_webhook_deliveries_total{result=\"delivered\"} " << c.delivered << "\n"
    << "stillpost_webhook_deliveries_total{result=\"failed_attempt\"} " << c.failed_attempts << "\n"
    << "stillpost_webhook_deliveries_total{result=\"given_up\"} " << c.given_up << "\n"
    << "# HELP stillpost_webhook_outbox Deliveries waiting in the outbox.\n"
       "# TYPE stillpost_webhook_outbox gauge\n"
    << "stillpost_webhook_outbox " << c.outbox << "\n";
  return m.str();
}

std::string JobJson(const JobView& view) {
  const proto::Job& job = view.job;
  json::object o;
  o["job"] = job.id();
  o["state"] = JobStateName(job.state());
  o["submitted_by"] = job.submitted_by();
  if (job.has_created_at()) o["created"] = proto::FormatTimestamp(job.created_at());
  if (job.has_started_at()) o["started"] = proto::FormatTimestamp(job.started_at());
  if (job.has_finished_at()) o["finished"] = proto::FormatTimestamp(job.finished_at());
  if (!job.error().empty()) o["error"] = ValidUtf8(job.error());
  o["expanded"] = job.expanded();
  json::array inputs;
  for (const auto& i : job.inputs()) inputs.emplace_back(ValidUtf8(i));
  o["inputs"] = std::move(inputs);
  if (job.feeds_size() > 0) {
    json::array feeds;
    for (const auto& f : job.feeds()) feeds.emplace_back(ValidUtf8(f));
    o["feeds"] = std::move(feeds);
  }
  if (job.recheck()) o["recheck"] = true;
  if (job.force()) o["force"] = true;
  o["posts"] = job.refs_size();
  json::array articles;
  for (const auto& a : job.articles()) {
    json::object j;
    j["url"] = ValidUtf8(a.article().url());
    if (!a.article().fetched_url().empty()) j["fetched_url"] = ValidUtf8(a.article().fetched_url());
    if (!a.article().title().empty()) j["title"] = ValidUtf8(a.article().title());
    if (!a.article().scope().empty()) j["scope"] = a.article().scope();
    if (!a.article().scope_path().empty()) j["scope_path"] = ValidUtf8(a.article().scope_path());
    j["found"] = a.found();
    if (!a.error().empty()) j["error"] = ValidUtf8(a.error());
    articles.push_back(std::move(j));
  }
  o["articles"] = std::move(articles);
  json::array outcomes;
  json::object counts;
  for (const auto& p : view.outcomes) {
    const fetcher::PostOutcome po = OutcomeFromProto(p);
    json::object j;
    j["index"] = p.index();
    j["key"] = ValidUtf8(p.key());
    const std::string word(fetcher::OutcomeName(po));
    j["outcome"] = word;
    j["files"] = p.media();
    j["bytes"] = p.bytes();
    if (!p.detail().empty()) j["detail"] = ValidUtf8(p.detail());
    if (!p.transition().empty()) j["transition"] = p.transition();
    j["kind"] = proto::JobOutcome::Kind_Name(p.kind());
    if (p.partial()) j["partial"] = true;
    if (p.gone_kind() != proto::Tombstone::KIND_UNSPECIFIED) {
      j["gone_kind"] = proto::Tombstone::Kind_Name(p.gone_kind());
    }
    if (p.has_finished_at()) j["finished"] = proto::FormatTimestamp(p.finished_at());
    counts[word] = (counts.contains(word) ? counts[word].as_int64() : 0) + 1;
    outcomes.push_back(std::move(j));
  }
  o["outcomes"] = std::move(outcomes);
  o["counts"] = std::move(counts);
  return json::serialize(o);
}

Result<JobView> ParseJobJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return DataLossError("the server's job answer is not JSON");
  const json::object& o = v.as_object();
  auto str = [](const json::object& from, std::string_view k) -> std::string {
    const json::value* x = from.if_contains(k);
    return x != nullptr && x->is_string() ? std::string(x->as_string()) : std::string();
  };
  auto num = [](const json::object& from, std::string_view k) -> uint64_t {
    const json::value* x = from.if_contains(k);
    if (x == nullptr) return 0;
    if (x->is_uint64()) return x->as_uint64();
    if (x->is_int64()) return static_cast<uint64_t>(std::max<int64_t>(0, x->as_int64()));
    return 0;
  };
  JobView view;
  view.job.set_id(str(o, "job"));
  const std::string state = str(o, "state");
  view.job.set_state(state == "queued"    ? proto::Job::STATE_QUEUED
                     : state == "running" ? proto::Job::STATE_RUNNING
                     : state == "done"    ? proto::Job::STATE_DONE
                     : state == "failed"  ? proto::Job::STATE_FAILED
                                          : proto::Job::STATE_UNSPECIFIED);
  view.job.set_error(str(o, "error"));
  const json::value* expanded = o.if_contains("expanded");
  view.job.set_expanded(expanded != nullptr && expanded->is_bool() && expanded->as_bool());
  for (uint64_t i = 0; i < num(o, "posts"); ++i) view.job.add_refs();
  if (const json::value* a = o.if_contains("articles"); a != nullptr && a->is_array()) {
    for (const auto& item : a->as_array()) {
      if (!item.is_object()) continue;
      const json::object& j = item.as_object();
      auto* art = view.job.add_articles();
      art->mutable_article()->set_url(str(j, "url"));
      art->mutable_article()->set_title(str(j, "title"));
      art->mutable_article()->set_scope(str(j, "scope"));
      art->mutable_article()->set_scope_path(str(j, "scope_path"));
      art->set_found(static_cast<uint32_t>(num(j, "found")));
      art->set_error(str(j, "error"));
    }
  }
  if (const json::value* a = o.if_contains("outcomes"); a != nullptr && a->is_array()) {
    for (const auto& item : a->as_array()) {
      if (!item.is_object()) continue;
      const json::object& j = item.as_object();
      proto::JobOutcome p;
      p.set_index(static_cast<uint32_t>(num(j, "index")));
      p.set_key(str(j, "key"));
      proto::JobOutcome::Kind kind = proto::JobOutcome::KIND_FAILED;
      proto::JobOutcome::Kind_Parse(str(j, "kind"), &kind);
      p.set_kind(kind);
      const json::value* partial = j.if_contains("partial");
      p.set_partial(partial != nullptr && partial->is_bool() && partial->as_bool());
      p.set_media(static_cast<uint32_t>(num(j, "files")));
      p.set_bytes(num(j, "bytes"));
      p.set_detail(str(j, "detail"));
      p.set_transition(str(j, "transition"));
      proto::Tombstone::Kind gone = proto::Tombstone::KIND_UNSPECIFIED;
      if (!str(j, "gone_kind").empty()) proto::Tombstone::Kind_Parse(str(j, "gone_kind"), &gone);
      p.set_gone_kind(gone);
      view.outcomes.push_back(std::move(p));
    }
  }
  return view;
}

}  // namespace stillpost::service
