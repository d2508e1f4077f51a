// The stillpost archive: every capture of every post, the media and raw bodies they reference
// (blobs, stored once by SHA-256), and the articles that embed them — in one RocksDB directory.
// Start here: auto store = Store::Open(path, {}); then store->AddCapture(key, capture, blobs) to
// record a fetch and store->LatestGood(key) / State(key) / Captures(key) to read it back.
// Captures are append-only: this API has no way to overwrite or delete one.
//
// Thread safety: every method may be called from any thread, except Close(), which must not run
// while any other call does. Writes are serialized inside the Store; reads run in parallel with
// them and see each AddCapture whole or not at all.
//
// Errors, for every method unless it says otherwise: NotFound means what was asked for is not
// in the archive (callers show "not archived"); DataLoss that a stored record is corrupt (the
// rest of the store still reads); FailedPrecondition a write to a store open read-only here, or
// any call after Close(); Unavailable that another process holds the store. The serving fast
// path (one read, decode on an arena) is in archive/serving.h.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/post_ref.h"
#include "common/status.h"
#include "common/time.h"
#include "stillpost.pb.h"

namespace stillpost::archive {

// Shared block cache for all column families. Sized for a server that also renders: raise it
// (StoreOptions::block_cache_bytes) when a box serves many more posts than it can keep hot.
inline constexpr size_t kDefaultBlockCacheBytes = 256u << 20;
// Blobs larger than this are stored in pieces of this size (BlobMeta.chunk_bytes).
inline constexpr size_t kBlobChunkBytes = 1u << 20;

struct StoreOptions {
  // Create an empty store when `path` does not exist (or is an empty directory).
  bool create_if_missing = true;
  // Sync the write-ahead log on every write batch: an AddCapture that returned ok survives
  // power loss. Only benchmarks of the raw engine turn this off.
  bool sync = true;
  size_t block_cache_bytes = kDefaultBlockCacheBytes;
};

// A blob to store with a capture. `data` must stay valid for the duration of the call.
// meta.sha256 may be left empty; when set it must match the data (checked).
struct BlobWrite {
  std::string_view data;
  proto::BlobMeta meta;
};

// One capture of one post, with the blobs it references that may not be stored yet.
struct CaptureWrite {
  std::string key;  // post key, e.g. "x/20"
  proto::Capture capture;
  std::vector<BlobWrite> blobs;
  // The capture's signed manifest as another store made it (an import keeps it as it was);
  // unset: the store builds one and signs it with its own key (archive/provenance.h).
  std::optional<proto::SignedManifest> manifest = std::nullopt;
};

// A digest signed with the store's current key (a WACZ package's datapackage digest).
struct SignedDigest {
  std::string signature;  // base64 of r||s
  proto::SigningKey key;  // public part only
};

struct AddResult {
  uint64_t blobs_written = 0;  // new blobs; ones already present are not written again
  uint64_t blob_bytes_written = 0;
};

// A stored blob's bytes, read once from RocksDB and owned here: the one copy on the way out.
// Thread safety: immutable once read; it keeps what it came from open, so it may outlive the
// read but not the Store.
class Blob {
 public:
  Blob();
  ~Blob();
  Blob(Blob&&) noexcept;
  Blob& operator=(Blob&&) noexcept;

  std::string_view data() const;

 private:
  friend class Store;
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

struct CaptureRef {
  UnixMicros captured_at = 0;
  std::string key;
};

// Which service records: the server's own (jobs, feeds, pages, events, the outbox) or the
// re-check schedule, a column family of its own so that one ordered scan from the start finds
// what is due (keys begin with the due time).
enum class Records { kService, kSchedule };

// An article that references a post, and when a scan first found the post in it.
struct ArticleRef {
  std::string url;
  UnixMicros first_seen = 0;
};

// One change to the service records (Store::WriteService).
struct ServiceWrite {
  std::string key;
  std::string value;
  bool erase = false;  // delete `key` instead
};

struct StoreStats {
  uint64_t posts = 0;        // every post known, including never_whole
  uint64_t never_whole = 0;  // posts only ever seen gone (never found, deleted before capture)
  uint64_t captures = 0;
  uint64_t blobs = 0;
  uint64_t blob_bytes = 0;  // total size of the stored blobs, before compression
  uint64_t articles = 0;
  uint64_t disk_bytes = 0;         // every file of the store: what it takes on disk
  uint32_t record_dictionary = 0;  // id of the compression dictionary in use; 0 before one
};

class Store {
 public:
  // Opens (and, with create_if_missing, creates) the store at `path`. Errors, each one line:
  //   InvalidArgument  path is a regular file, or a directory that is not a stillpost store
  //   NotFound         nothing at path and create_if_missing is false
  //   Unavailable      another process (or another Store in this one) holds the store
  //   DataLoss         the store is corrupt
  static Result<std::unique_ptr<Store>> Open(const std::string& path, const StoreOptions& options);

  // Opens the store for reading only: nothing is written, not even the recovery a primary open
  // does (replaying and flushing the write-ahead log), so it can run beside a writer and a
  // server without disturbing either. Errors as Open(); NotFound when nothing is at `path`.
  // Writes through it fail with FailedPrecondition.
  static Result<std::unique_ptr<Store>> OpenReadOnly(const std::string& path,
                                                     const StoreOptions& options);

  // Opens a read-only view of a store that another process (or Store) owns and writes: a
  // RocksDB secondary instance, with its own small state in `secondary_path`. It sees new
  // captures after CatchUp(). Writes through it fail with FailedPrecondition.
  static Result<std::unique_ptr<Store>> OpenSecondary(const std::string& path,
                                                      const std::string& secondary_path,
                                                      const StoreOptions& options);
  // Replays what the primary wrote since the last call (secondary only; cheap when idle). When
  // the primary was opened anew since (a new MANIFEST: a writer restarted, perhaps after a
  // crash), the secondary is reopened from scratch rather than caught up: RocksDB 7.8's
  // secondary could keep entries replayed from the old write-ahead log that shadow newer data.
  Status CatchUp();

  // Ok when the store answers a read (its format marker and counters, checksums verified);
  // the error otherwise (for health checks).
  Status CheckReadable() const;

  // Closes the database: what was written is durable (each write synced its log already).
  // Returns RocksDB's first error closing it; the store is closed either way, and every later
  // call fails with FailedPrecondition. Must not run concurrently with any other call.
  Status Close();
  ~Store();  // Close(), its error ignored: call Close() to see it.
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const;

  // Records one capture atomically (ok: stored, and durable when StoreOptions::sync) with its new
  // blobs, the post's new state, the indexes and counters: after a crash either all of it is there
  // or none. The capture needs captured_at and an outcome (post or tombstone). Errors:
  //   InvalidArgument  malformed key, no captured_at or outcome, a blob whose data does not
  //                    match its sha256, a blob referenced that is neither given nor stored
  //   AlreadyExists    a capture of this post at this exact time is stored already
  //   FailedPrecondition  captured_at is older than the post's newest capture (time order), or
  //                    the store is open read-only here
  Result<AddResult> AddCapture(const std::string& key, const proto::Capture& capture,
                               std::span<const BlobWrite> blobs = {});
  // The same for several captures in one atomic batch with one WAL sync (bulk import).
  // All or nothing: the first invalid capture fails the whole batch.
  Result<AddResult> AddCaptures(std::span<const CaptureWrite> writes);

  // The newest capture that holds a Post. NotFound when the post is unknown or was never
  // captured whole (only tombstones).
  Result<proto::Capture> LatestGood(std::string_view key) const;
  // The post's state: live or gone since when, first seen, counts, and the latest good capture.
  Result<proto::PostState> State(std::string_view key) const;
  // The same without latest_good (latest_good_at says when it was taken): no decompression,
  // for callers that decide from the state alone (ETags, 304s, cache hits).
  Result<proto::PostState> StateSummary(std::string_view key) const;

  // Every capture of the post, oldest first. NotFound for an unknown post.
  Result<std::vector<proto::Capture>> Captures(std::string_view key) const;
  // The capture taken at exactly `at`. NotFound otherwise.
  Result<proto::Capture> CaptureAt(std::string_view key, UnixMicros at) const;
  // The newest capture that holds the post taken at or before `at` (what a reader saw then).
  // NotFound for an unknown post or when there is none that early.
  Result<proto::Capture> GoodCaptureAtOrBefore(std::string_view key, UnixMicros at) const;

  // Blob bytes and metadata by SHA-256 hex. NotFound for an unknown digest. A blob larger than
  // kBlobChunkBytes is stored in pieces; GetBlob assembles it (it is all read).
  // `meta`, when given, is the blob's metadata the caller read already (saves reading it again).
  Result<Blob> GetBlob(std::string_view sha256, const proto::BlobMeta* meta = nullptr) const;
  // `length` bytes of a blob from `offset`, reading only the pieces that hold them (for
  // range requests on large media). InvalidArgument when the range is not inside the blob.
  Result<std::string> ReadBlobRange(std::string_view sha256, uint64_t offset, size_t length,
                                    const proto::BlobMeta* meta = nullptr) const;
  Result<proto::BlobMeta> GetBlobMeta(std::string_view sha256) const;
  bool HasBlob(std::string_view sha256) const;

  // Articles are re-scannable: a newer scan of the same URL replaces the record.
  Status PutArticle(const proto::Article& article);
  Result<proto::Article> GetArticle(std::string_view url) const;
  // Article URLs in order, after `start_after` (when set), at most `limit`.
  Result<std::vector<std::string>> ArticleUrls(size_t limit,
                                               std::string_view start_after = {}) const;

  // Service records: the server's own durable state (service/: its jobs, what watched feeds
  // showed, pages embed.js reported) in a column family of their own. They are not the archive:
  // none of its rules or counters apply, and the keys are the service's (a short prefix per
  // kind of record). A batch is atomic and synced.
  // `sync` false for records that can be rebuilt (the schedule): the write still lands in the
  // write-ahead log, only not fsynced before returning.
  Status WriteService(std::span<const ServiceWrite> writes, Records records = Records::kService,
                      bool sync = true);
  // NotFound when absent.
  Result<std::string> GetService(std::string_view key, Records records = Records::kService) const;
  // Records whose key starts with `prefix`, in key order, after `start_after` (when set), at
  // most `limit`.
  Result<std::vector<std::pair<std::string, std::string>>> ScanService(
      std::string_view prefix, size_t limit, std::string_view start_after = {},
      Records records = Records::kService) const;

  // Provenance (archive/provenance.h). The signed manifest of the capture at `at`: NotFound for
  // none (a capture from before manifests, or an unknown one).
  Result<proto::SignedManifest> Manifest(std::string_view key, UnixMicros at) const;
  // Every key this store signed with or was given by an import, oldest first, public parts only.
  Result<std::vector<proto::SigningKey>> SigningKeys() const;
  // Retires the current key (valid_until now) and makes a new one, which signs from now on.
  // Returns the new key's public part.
  Result<proto::SigningKey> RotateSigningKey();
  // Keeps the public key another store signed with (an import's), so its manifests verify here.
  // A key already known is left as it is.
  Status AddPublicKey(const proto::SigningKey& key);
  // `message` signed with the current key. FailedPrecondition when the store has none yet (a
  // read-only open of a store no primary has opened since keys came in).
  Result<SignedDigest> SignDigest(std::string_view message) const;

  // The articles whose newest scan names the post, in URL order.
  Result<std::vector<ArticleRef>> ArticlesOf(std::string_view post_key) const;

  // The DID a Bluesky handle had in the newest capture that showed it with the handle verified
  // (Capture.handle_verified: resolved to that DID during the capture). Handles move; this is
  // for lookups that cannot ask the network, such as a bsky.app URL given to `show` or oEmbed).
  Result<std::string> DidOfHandle(std::string_view handle) const;

  // Post keys of one platform ("x", "mastodon", "bsky") in key order, from after `start_after`.
  Result<std::vector<std::string>> PostsByPlatform(std::string_view platform, size_t limit,
                                                   std::string_view start_after = {}) const;
  // Captures newest first, across all posts, strictly before `before` (0 = now).
  Result<std::vector<CaptureRef>> RecentCaptures(size_t limit, UnixMicros before = 0) const;

  StoreStats Stats() const;

  // Writes memtables out to SST files (before a backup or a measurement of disk use).
  Status Flush();
  // Flushes and compacts everything to the last level (maintenance, benchmarks).
  Status Compact();

 private:
  friend class ServingReader;  // archive/serving.h
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A blob a post refers to, and the URL the post says its bytes came from.
struct BlobRef {
  std::string sha256;
  std::string url;
};
// Every blob a post refers to — the author's avatar and name emoji, media and their posters,
// emoji in the text, the card's image — then its quoted post's and its parent's; repeats kept.
void AppendBlobRefs(const proto::Post& post, std::vector<BlobRef>& out);

// The post's state with its latest good capture, or nullopt when the store has none (not
// archived, or unreadable: for listings that show such a post as not archived).
std::optional<proto::PostState> ArchivedState(const Store& store, const std::string& key);

// The key a post reference names (common/post_ref.h), with a Bluesky handle resolved from the
// archive's own captures (Store::DidOfHandle) rather than the network. NotFound when the archive
// has no post by that handle.
Result<std::string> KeyOfRef(const Store& store, const PostRef& ref);

}  // namespace stillpost::archive
