// Announcements of confirmed changes to archived posts (deleted, protected, suspended, ...,
// edited, restored): each is an event record in the store, shown in the Atom feed GET
// /feeds/changes.atom (?article=URL: one article's posts), and posted to every --webhook from a
// durable outbox — a JSON body signed with HMAC-SHA256 of the --webhook-secret in the header
// X-Stillpost-Signature: sha256=HEX — retried with backoff until the receiver answers 2xx.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "archive/store.h"
#include "common/status.h"
#include "fetcher/http.h"
#include "stillpost.pb.h"

namespace stillpost::service {

struct ChangesOptions {
  std::vector<std::string> webhooks;  // --webhook URLs
  std::string secret;                 // --webhook-secret: the HMAC key
  std::string public_base;            // embeds' origin (and path): http://127.0.0.1:8080
  fetcher::HttpOptions http;          // for the deliveries (the operator's URLs: no guard)
  int max_attempts = 20;              // then the delivery is given up (counted), ~2 days of backoff
  std::chrono::seconds backoff_base{2};
  std::chrono::seconds backoff_max{3600};
  size_t feed_entries = 100;  // entries in the Atom feed
};

struct ChangesStats {
  uint64_t announced = 0;
  uint64_t delivered = 0;
  uint64_t failed_attempts = 0;
  uint64_t given_up = 0;
  uint64_t outbox = 0;  // deliveries waiting
};

// Thread safety: every method may be called from any thread once Start() returned.
class Changes {
 public:
  Changes(archive::Store& store, ChangesOptions options);
  ~Changes();  // Stop()
  Changes(const Changes&) = delete;
  Changes& operator=(const Changes&) = delete;

  Status Start();  // the delivery thread (when there are webhooks)
  void SetPublicBase(std::string base);
  void Stop();

  // Stores the event (id, time and articles filled in here) and one delivery per webhook, in
  // one synced write, and wakes the delivery thread.
  Result<proto::ChangeEvent> Announce(proto::ChangeEvent event);
  // The Atom feed: the newest entries, all posts or those `article` (a stored article's URL)
  // embeds; NotFound for an article the store does not hold.
  Result<std::string> Atom(std::string_view article) const;
  // The JSON a webhook receives for `event` (signed as is: WebhookSignature).
  std::string WebhookBody(const proto::ChangeEvent& event) const;
  ChangesStats stats() const;

 private:
  void Deliverer();
  bool DeliverDue();  // false when nothing was due; sets next_due_
  std::string EmbedUrl(std::string_view key) const;
  std::string PublicBase() const;

  archive::Store& store_;
  ChangesOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
  std::atomic<bool> cancel_{false};
  ChangesStats stats_;
  std::chrono::steady_clock::time_point next_due_{};
  std::thread thread_;
};

// "sha256=" and the lower-case hex HMAC-SHA256 of `body` keyed with `secret`.
std::string WebhookSignature(std::string_view secret, std::string_view body);

}  // namespace stillpost::service
