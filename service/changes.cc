#include "service/changes.h"

#include <libxml/xmlwriter.h>

#include <algorithm>
#include <boost/algorithm/hex.hpp>
#include <boost/json.hpp>
#include <iterator>
#include <memory>
#include <random>
#include <set>

#include "common/sha256.h"
#include "common/time.h"
#include "proto/time.h"
#include "service/keys.h"
#include "service/tokens.h"

namespace stillpost::service {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// libxml2's writer, freed however the feed's building ends.
struct WriterFree {
  void operator()(xmlTextWriter* w) const { xmlFreeTextWriter(w); }
};
struct BufferFree {
  void operator()(xmlBuffer* b) const { xmlBufferFree(b); }
};

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }
const xmlChar* X(const std::string& s) { return X(s.c_str()); }

}  // namespace

std::string WebhookSignature(std::string_view secret, std::string_view body) {
  return "sha256=" + HmacSha256Hex(secret, body);
}

Changes::Changes(archive::Store& store, ChangesOptions options)
    : store_(store), options_(std::move(options)) {
  options_.http.cancel = &cancel_;
  options_.http.limiter = nullptr;        // the operator's receivers are not an upstream's buckets
  options_.http.limits.max_attempts = 1;  // the outbox retries, with its own backoff and counts
}

Changes::~Changes() { Stop(); }

Status Changes::Start() {
  auto pending = store_.ScanService(kOutboxPrefix, 1u << 30);
  if (!pending) return pending.error();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.outbox = pending->size();
  }
  if (!options_.webhooks.empty() || !pending->empty()) {
    thread_ = std::thread([this] { Deliverer(); });
  }
  return Status::Ok();
}

void Changes::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cancel_ = true;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Changes::SetPublicBase(std::string base) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::lock_guard<std::mutex> lock(mu_);
  options_.public_base = std::move(base);
}

std::string Changes::PublicBase() const {
  std::lock_guard<std::mutex> lock(mu_);
  return options_.public_base;
}

std::string Changes::EmbedUrl(std::string_view key) const {
  return PublicBase() + "/embed/" + std::string(key);
}

Result<proto::ChangeEvent> Changes::Announce(proto::ChangeEvent event) {
  const UnixMicros now = NowMicros();
  SP_ASSIGN_OR_RETURN(std::string id, NewTimeOrderedId(now, 4));
  event.set_id(id);
  *event.mutable_at() = proto::TimestampOf(now);
  if (event.articles_size() == 0) {
    if (auto articles = store_.ArticlesOf(event.key())) {
      for (const auto& a : *articles) event.add_articles(a.url);
    }
  }
  std::vector<archive::ServiceWrite> writes;
  // Newest first in key order (the feed reads from the start): the inverted time, then the id's
  // random part.
  writes.push_back(
      {EventKey(~static_cast<uint64_t>(now), id.substr(16)), event.SerializeAsString(), false});
  const std::string body = WebhookBody(event);
  for (size_t i = 0; i < options_.webhooks.size(); ++i) {
    proto::Delivery d;
    d.set_event(event.id());
    d.set_url(options_.webhooks[i]);
    d.set_body(body);
    *d.mutable_next_at() = proto::TimestampOf(now);
    writes.push_back({OutboxKey(event.id(), i), d.SerializeAsString(), false});
  }
  SP_RETURN_IF_ERROR(store_.WriteService(writes));
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.announced++;
    stats_.outbox += options_.webhooks.size();
    woken_ = true;
  }
  wake_.notify_all();
  return event;
}

std::string Changes::WebhookBody(const proto::ChangeEvent& event) const {
  json::object o;
  o["event"] = event.id();
  o["key"] = event.key();
  o["transition"] = event.transition();
  o["time"] = FormatRfc3339(proto::MicrosOf(event.at()));
  if (event.has_first_seen()) o["first_seen"] = FormatRfc3339(proto::MicrosOf(event.first_seen()));
  json::array articles;
  for (const auto& a : event.articles()) articles.emplace_back(a);
  o["articles"] = std::move(articles);
  o["embed_url"] = EmbedUrl(event.key());
  if (!event.trigger().empty()) o["trigger"] = event.trigger();
  if (!event.detail().empty()) o["detail"] = event.detail();
  return json::serialize(o);
}

Result<std::string> Changes::Atom(std::string_view article) const {
  std::set<std::string> keys;
  if (!article.empty()) {
    auto a = store_.GetArticle(article);
    if (!a) {
      if (a.error().code() == StatusCode::kNotFound) {
        return NotFoundError("no archived article " + std::string(article));
      }
      return a.error();
    }
    keys.insert(a->post_keys().begin(), a->post_keys().end());
  }
  std::vector<proto::ChangeEvent> events;
  std::string after;
  // Newest first; for one article, read on until its entries are found or the events end.
  while (events.size() < options_.feed_entries) {
    auto page = store_.ScanService(kEventPrefix, 1000, after);
    if (!page) return page.error();
    for (const auto& [k, v] : *page) {
      proto::ChangeEvent e;
      if (!e.ParseFromString(v)) continue;
      if (!keys.empty() && !keys.contains(e.key())) continue;
      events.push_back(std::move(e));
      if (events.size() >= options_.feed_entries) break;
    }
    if (page->size() < 1000) break;
    after = page->back().first;
  }

  std::unique_ptr<xmlBuffer, BufferFree> buffer(xmlBufferCreate());
  if (!buffer) return InternalError("cannot build the feed (out of memory)");
  std::unique_ptr<xmlTextWriter, WriterFree> w(xmlNewTextWriterMemory(buffer.get(), 0));
  if (!w) return InternalError("cannot build the feed (out of memory)");
  const std::string self = PublicBase() + "/feeds/changes.atom" +
                           (article.empty() ? "" : "?article=" + std::string(article));
  const std::string updated =
      events.empty() ? FormatRfc3339(0) : FormatRfc3339(proto::MicrosOf(events.front().at()));
  int rc = xmlTextWriterStartDocument(w.get(), nullptr, "UTF-8", nullptr);
  rc |= xmlTextWriterStartElementNS(w.get(), nullptr, X("feed"), X("http://www.w3.org/2005/Atom"));
  rc |= xmlTextWriterWriteElement(w.get(), X("id"), X(self));
  rc |= xmlTextWriterWriteElement(
      w.get(), X("title"),
      X(article.empty() ? std::string("stillpost: changes to archived posts")
                        : "stillpost: changes to the posts of " + std::string(article)));
  rc |= xmlTextWriterWriteElement(w.get(), X("updated"), X(updated));
  rc |= xmlTextWriterStartElement(w.get(), X("link"));
  rc |= xmlTextWriterWriteAttribute(w.get(), X("rel"), X("self"));
  rc |= xmlTextWriterWriteAttribute(w.get(), X("href"), X(self));
  rc |= xmlTextWriterEndElement(w.get());
  rc |= xmlTextWriterStartElement(w.get(), X("author"));
  rc |= xmlTextWriterWriteElement(w.get(), X("name"), X("stillpost"));
  rc |= xmlTextWriterEndElement(w.get());
  for (const auto& e : events) {
    const std::string when = FormatRfc3339(proto::MicrosOf(e.at()));
    const std::string embed = EmbedUrl(e.key());
    std::string summary = e.key() + " " + e.transition();
    if (e.has_first_seen()) {
      summary += " (first seen " + FormatRfc3339(proto::MicrosOf(e.first_seen())) + ", confirmed " +
                 when + ")";
    }
    if (!e.detail().empty()) summary += ": " + e.detail();
    if (e.articles_size() > 0) {
      summary += ". Embedded in:";
      for (const auto& a : e.articles()) summary += " " + a;
    }
    rc |= xmlTextWriterStartElement(w.get(), X("entry"));
    rc |= xmlTextWriterWriteElement(w.get(), X("id"), X("urn:stillpost:change:" + e.id()));
    rc |= xmlTextWriterWriteElement(w.get(), X("title"), X(e.key() + " " + e.transition()));
    rc |= xmlTextWriterWriteElement(w.get(), X("updated"), X(when));
    rc |= xmlTextWriterStartElement(w.get(), X("link"));
    rc |= xmlTextWriterWriteAttribute(w.get(), X("rel"), X("alternate"));
    rc |= xmlTextWriterWriteAttribute(w.get(), X("href"), X(embed));
    rc |= xmlTextWriterEndElement(w.get());
    rc |= xmlTextWriterStartElement(w.get(), X("category"));
    rc |= xmlTextWriterWriteAttribute(w.get(), X("term"), X(e.transition()));
    rc |= xmlTextWriterEndElement(w.get());
    rc |= xmlTextWriterWriteElement(w.get(), X("summary"), X(summary));
    rc |= xmlTextWriterEndElement(w.get());
  }
  rc |= xmlTextWriterEndElement(w.get());
  rc |= xmlTextWriterEndDocument(w.get());
  if (rc < 0) return InternalError("cannot build the feed");
  w.reset();  // flushes into the buffer
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(buffer.get())),
                     static_cast<size_t>(xmlBufferLength(buffer.get())));
}

ChangesStats Changes::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

// One pass over the outbox: every delivery that is due is sent (together); each answer updates
// or removes its record.
bool Changes::DeliverDue() {
  auto pending = store_.ScanService(kOutboxPrefix, 1000);
  if (!pending) return false;
  const UnixMicros now = NowMicros();
  UnixMicros next = now + 60'000'000;
  fetcher::HttpClient http(options_.http);
  size_t sent = 0;
  for (const auto& [record, value] : *pending) {
    proto::Delivery d;
    if (!d.ParseFromString(value)) {
      static_cast<void>(
          store_.WriteService(std::vector<archive::ServiceWrite>{{record, "", true}}));
      continue;
    }
    const UnixMicros at = proto::MicrosOf(d.next_at());
    if (at > now) {
      next = std::min(next, at);
      continue;
    }
    ++sent;
    fetcher::HttpRequest req;
    req.url = d.url();
    req.post_body = d.body();
    req.operator_destination = true;
    req.headers = {"Content-Type: application/json", "X-Stillpost-Event: " + d.event(),
                   "X-Stillpost-Signature: " + WebhookSignature(options_.secret, d.body())};
    http.Add(std::move(req), [this, record = record, d](Result<fetcher::HttpResponse> r) mutable {
      if (cancel_) return;  // stopping: the delivery stays in the outbox as it was
      const bool ok = r && r->status >= 200 && r->status < 300;
      std::lock_guard<std::mutex> lock(mu_);
      if (ok) {
        static_cast<void>(
            store_.WriteService(std::vector<archive::ServiceWrite>{{record, "", true}}));
        stats_.delivered++;
        if (stats_.outbox > 0) stats_.outbox--;
        return;
      }
      stats_.failed_attempts++;
      d.set_attempts(d.attempts() + 1);
      d.set_last_error(r ? "HTTP " + std::to_string(r->status) : r.error().message());
      if (static_cast<int>(d.attempts()) >= options_.max_attempts) {
        static_cast<void>(
            store_.WriteService(std::vector<archive::ServiceWrite>{{record, "", true}}));
        stats_.given_up++;
        if (stats_.outbox > 0) stats_.outbox--;
        return;
      }
      // Exponential backoff with equal jitter, up to backoff_max.
      const int64_t base = options_.backoff_base.count() * 1'000'000;
      const int64_t cap = options_.backoff_max.count() * 1'000'000;
      const int64_t exp = std::min<int64_t>(cap, base << std::min<uint32_t>(d.attempts() - 1, 20));
      std::uniform_int_distribution<int64_t> jitter(0, exp / 2);
      std::mt19937_64 rng{std::random_device{}()};
      *d.mutable_next_at() = proto::TimestampOf(NowMicros() + exp / 2 + jitter(rng));
      static_cast<void>(store_.WriteService(
          std::vector<archive::ServiceWrite>{{record, d.SerializeAsString(), false}}));
    });
  }
  http.Run();
  std::lock_guard<std::mutex> lock(mu_);
  next_due_ = Clock::now() + std::chrono::microseconds(std::max<int64_t>(0, next - NowMicros()));
  return sent > 0;
}

void Changes::Deliverer() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      woken_ = false;
    }
    bool sent = false;
    try {
      sent = DeliverDue();
    } catch (const std::exception&) {
      // Out of memory, say: the deliveries stay in the outbox for the next pass.
      std::lock_guard<std::mutex> lock(mu_);
      next_due_ = Clock::now() + std::chrono::seconds(5);
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) return;
    if (sent) continue;  // answers may have set earlier retries: look again at once
    wake_.wait_until(lock, next_due_, [this] { return stopping_ || woken_; });
  }
}

}  // namespace stillpost::service
