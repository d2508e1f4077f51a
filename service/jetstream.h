// `serve --jetstream URL`: Bluesky in real time. Subscribes to Jetstream (wss://jetstream2.us-
// east.bsky.network/subscribe) for app.bsky.feed.post records of the DIDs whose posts the store
// holds — at most 10,000 DIDs per connection, more in further connections — and when one of
// those records is deleted or updated, asks the scheduler to fetch the post at once (through
// the same host buckets), with the event as the capture's trigger. The cursor (time_us of the
// last event read) is kept in the store, so a restart resumes where it stopped (Jetstream
// replays about 36 hours); connections are re-made with exponential backoff, and again when new
// DIDs appear. --upstream rewriting applies to the URL as to every host (wss as https).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "archive/store.h"
#include "common/status.h"
#include "fetcher/upstream.h"
#include "service/scheduler.h"

namespace stillpost::service {

struct JetstreamOptions {
  std::string url;  // ws:// or wss://HOST[:PORT]/subscribe
  fetcher::UpstreamMap upstreams;
  size_t max_dids_per_connection = 10'000;
  std::chrono::seconds refresh_every{60};  // look for DIDs of newly archived posts
  std::chrono::milliseconds backoff_base{1000};
  std::chrono::milliseconds backoff_max{300'000};
  std::chrono::seconds idle_timeout{120};  // no frame for this long: reconnect
};

struct JetstreamStats {
  uint64_t connections = 0;  // handshakes that succeeded
  uint64_t connected = 0;    // connections open now
  uint64_t events = 0;       // frames read
  uint64_t acted = 0;        // deletes and updates of archived posts
  uint64_t errors = 0;       // connections lost or refused
  int64_t cursor = 0;        // time_us of the last event read
  uint64_t dids = 0;
};

// What one Jetstream event asks of us: the post key of an app.bsky.feed.post record it deletes
// or updates, the operation, and the event's time_us. Nullopt for every other event (other
// collections, creates, identity and account events) and for text that is not an event.
struct JetstreamAction {
  std::string key;        // bsky/DID/RKEY
  std::string operation;  // delete, update
  int64_t time_us = 0;
};
std::optional<JetstreamAction> ReadJetstreamEvent(std::string_view text, int64_t* time_us);

// The subscription URL for these DIDs, from `cursor` (0: live).
std::string JetstreamUrl(std::string_view base, const std::vector<std::string>& dids,
                         int64_t cursor);

// Thread safety: Start/Stop from one thread; stats() from any.
class Jetstream {
 public:
  Jetstream(archive::Store& store, Scheduler& scheduler, JetstreamOptions options);
  ~Jetstream();  // Stop()
  Jetstream(const Jetstream&) = delete;
  Jetstream& operator=(const Jetstream&) = delete;

  Status Start();
  void Stop();
  JetstreamStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stillpost::service
