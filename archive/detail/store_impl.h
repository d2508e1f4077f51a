// The store's internals, shared by its implementation files (store.cc: opening and closing;
// store_write.cc; store_read.cc; serving.cc; detail/secondary.cc; detail/dictionary.cc).
// Private to archive/.
#pragma once

#include <google/protobuf/util/time_util.h>
#include <rocksdb/db.h>
#include <rocksdb/slice.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "archive/detail/keys.h"
#include "archive/detail/post_state.h"
#include "archive/detail/record_codec.h"
#include "archive/detail/rocks_tuning.h"
#include "archive/store.h"
#include "common/crypto.h"
#include "proto/time.h"

namespace stillpost::archive {

using google::protobuf::Timestamp;
using proto::Capture;
using proto::PostState;

using proto::MicrosOf;

// A read-only RocksDB instance of a store another process writes. A secondary instance serves
// everything but blobs: RocksDB 7.8's secondary computes blob cache keys from a session id it
// does not keep valid, and crashed the server under load here (core dump, BlobSource::GetBlob;
// a primary never did). Blobs never change once written, so a read-only instance reopened
// when it lacks one is enough.
struct BlobReader {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::ColumnFamilyHandle* blobs = nullptr;
  ~BlobReader() {
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    if (db) db->Close().PermitUncheckedError();
  }
};

struct Blob::Rep {
  rocksdb::PinnableSlice value;
  std::shared_ptr<BlobReader> reader;  // keeps the instance the value came from open
};

struct Store::Impl {
  std::string path;
  StoreOptions options;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // owned; destroyed before db
  rocksdb::ColumnFamilyHandle* states = nullptr;
  rocksdb::ColumnFamilyHandle* captures = nullptr;
  rocksdb::ColumnFamilyHandle* blobs = nullptr;
  rocksdb::ColumnFamilyHandle* blob_meta = nullptr;
  rocksdb::ColumnFamilyHandle* articles = nullptr;
  rocksdb::ColumnFamilyHandle* indexes = nullptr;
  // Null in a store from before the service records, opened read-only or as a secondary (a
  // primary open creates it): reads then find nothing.
  rocksdb::ColumnFamilyHandle* service = nullptr;
  rocksdb::ColumnFamilyHandle* schedule = nullptr;    // likewise
  rocksdb::ColumnFamilyHandle* provenance = nullptr;  // likewise

  std::mutex write_mu;  // one writer at a time; guards counters
  proto::StoreCounters counters;
  detail::RecordCodec codec;     // for states and captures values
  bool secondary = false;        // a read-only follower of another process's store
  bool read_only = false;        // opened for reading only (OpenReadOnly)
  std::string secondary_path;    // secondary only: its own state directory
  std::string primary_manifest;  // secondary only: the primary's MANIFEST at the last (re)open
  // Secondary only: CatchUp() holds this exclusively, every read shares it. RocksDB 7.8's
  // secondary rewrites state during TryCatchUpWithPrimary that reads use (a blob read hashed a
  // session id being replaced and crashed the server under load here, core dump).
  mutable std::shared_mutex catch_up_mu;
  // Secondary only: the primary's MANIFEST and WAL files (name, size, mtime) at the last catch-up.
  // TryCatchUpWithPrimary rebuilds versions and opens table handlers even when nothing changed
  // (measured: ~100 short-lived threads a second, each pass holding readers off), so CatchUp()
  // skips it while these are the same.
  std::string primary_signature;

  std::string PrimarySignature() const;  // secondary.cc

  // Secondary only: the read-only instance blobs are read from, and when it was last opened.
  mutable std::mutex blob_reader_mu;
  mutable std::shared_ptr<BlobReader> blob_reader;
  mutable std::chrono::steady_clock::time_point blob_reader_opened{};

  Result<std::shared_ptr<BlobReader>> OpenBlobReader() const;  // secondary.cc

  // The current blob reader; `refresh` reopens it (at most once a second) to see newer blobs.
  Result<std::shared_ptr<BlobReader>> CurrentBlobReader(bool refresh) const;  // secondary.cc

  std::shared_lock<std::shared_mutex> ReadGuard() const {
    return secondary ? std::shared_lock<std::shared_mutex>(catch_up_mu)
                     : std::shared_lock<std::shared_mutex>();
  }
  bool training_failed = false;  // do not retry a failed training in this process

  ~Impl() { static_cast<void>(Close()); }

  // Closes the database, column family handles first; the first error is returned, and the
  // Impl is closed either way.
  Status Close() {
    if (!db) return Status::Ok();
    Status first;
    for (auto* h : handles) {
      if (rocksdb::Status s = db->DestroyColumnFamilyHandle(h); !s.ok() && first.ok()) {
        first = Rocks(s);
      }
    }
    handles.clear();
    states = captures = blobs = blob_meta = articles = indexes = service = schedule = provenance =
        nullptr;
    const rocksdb::Status closed = db->Close();
    db.reset();
    if (!closed.ok() && first.ok()) first = Rocks(closed);
    return first;
  }
  // FailedPrecondition once Close() ran: every public method checks it first.
  Status CheckOpen() const {
    if (db) return Status::Ok();
    return FailedPreconditionError("store " + path + " is closed");
  }

  Status Rocks(const rocksdb::Status& s) const { return detail::FromRocks(s, path); }

  rocksdb::WriteOptions WriteOpts() const {
    rocksdb::WriteOptions w;
    w.sync = options.sync;
    return w;
  }

  // Reads a protobuf value kept as it is (not through RecordCodec). NotFound when absent,
  // DataLoss when it does not parse.
  template <typename Message>
  Result<Message> GetProto(const rocksdb::ReadOptions& ro, rocksdb::ColumnFamilyHandle* cf,
                           std::string_view key) const {
    rocksdb::PinnableSlice value;
    rocksdb::Status s = db->Get(ro, cf, rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return NotFoundError(std::string(key));
    if (!s.ok()) return Rocks(s);
    Message m;
    if (!m.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      return DataLossError("store " + path + ": unreadable record in " + cf->GetName() + " at " +
                           std::string(key));
    }
    return m;
  }

  bool Exists(const rocksdb::ReadOptions& ro, rocksdb::ColumnFamilyHandle* cf,
              std::string_view key) const {
    rocksdb::PinnableSlice value;
    return db->Get(ro, cf, rocksdb::Slice(key.data(), key.size()), &value).ok();
  }

  // A post's state as stored: the header and the encoded latest good capture beside it.
  struct StoredState {
    PostState header;    // without key and latest_good
    std::string record;  // RecordCodec bytes of the latest good capture; empty if none
  };

  // NotFound when the post is unknown. `with_record` copies out the encoded latest capture.
  Result<StoredState> ReadStoredState(const rocksdb::ReadOptions& ro, std::string_view key,
                                      bool with_record) const {
    rocksdb::PinnableSlice value;
    rocksdb::Status s = db->Get(ro, states, rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return NotFoundError("no post " + std::string(key) + " in the archive");
    if (!s.ok()) return Rocks(s);
    std::string_view header, record;
    StoredState out;
    if (!detail::SplitStateValue(std::string_view(value.data(), value.size()), header, record) ||
        !out.header.ParseFromArray(header.data(), static_cast<int>(header.size()))) {
      return DataLossError("store " + path + ": unreadable state of " + std::string(key));
    }
    detail::ExpandHeader(out.header, !record.empty());
    if (with_record) out.record = record;
    return out;
  }

  // Decodes an encoded capture record.
  Result<Capture> DecodeRecord(std::string_view record, std::string_view key) const {
    Capture c;
    SP_RETURN_IF_ERROR(DecodeRecordInto(record, key, c));
    return c;
  }

  Status DecodeRecordInto(std::string_view record, std::string_view key, Capture& c) const {
    thread_local std::string decoded;
    if (Status d = codec.Decode(record, decoded); !d.ok()) {
      return d.WithContext("store " + path + ": capture of " + std::string(key));
    }
    if (!c.ParseFromString(decoded)) {
      return DataLossError("store " + path + ": unreadable capture of " + std::string(key));
    }
    return Status::Ok();
  }

  // The state as callers see it: key and latest good capture filled in.
  Result<PostState> ReadState(const rocksdb::ReadOptions& ro, std::string_view key) const {
    auto stored = ReadStoredState(ro, key, /*with_record=*/true);
    if (!stored) return stored.error();
    PostState state = std::move(stored->header);
    state.set_key(std::string(key));
    if (!stored->record.empty()) {
      auto latest = DecodeRecord(stored->record, key);
      if (!latest) return latest.error();
      *state.mutable_latest_good() = std::move(*latest);
    }
    return state;
  }

  // A value of the captures column family: empty means "the latest good capture, kept beside
  // the state record".
  Result<Capture> DecodeCaptureValue(rocksdb::Slice value, const StoredState& state,
                                     std::string_view key) const {
    if (value.empty()) {
      if (state.record.empty()) {
        return DataLossError("store " + path + ": " + std::string(key) +
                             " has a capture marker but no latest capture");
      }
      return DecodeRecord(state.record, key);
    }
    return DecodeRecord(std::string_view(value.data(), value.size()), key);
  }

  // Finds our column families among the open handles; InvalidArgument when one is missing.
  Status BindHandles() {
    for (auto* h : handles) {
      const std::string& n = h->GetName();
      if (n == detail::kCfStates) states = h;
      if (n == detail::kCfCaptures) captures = h;
      if (n == detail::kCfBlobs) blobs = h;
      if (n == detail::kCfBlobMeta) blob_meta = h;
      if (n == detail::kCfArticles) articles = h;
      if (n == detail::kCfIndexes) indexes = h;
      if (n == detail::kCfService) service = h;
      if (n == detail::kCfSchedule) schedule = h;
      if (n == detail::kCfProvenance) provenance = h;
    }
    if (states == nullptr || captures == nullptr || blobs == nullptr || blob_meta == nullptr ||
        articles == nullptr || indexes == nullptr) {
      return InvalidArgumentError("not a stillpost store: " + path);
    }
    return Status::Ok();
  }

  // The column family of a kind of service records; null when the store has none.
  rocksdb::ColumnFamilyHandle* RecordsCf(Records records) const {
    return records == Records::kSchedule ? schedule : service;
  }
  Status IndexArticlesOnce();  // store_write.cc: the 'a' index for stores from before it
  // store_provenance.cc: the signing keys, newest last; the current one (with its private part)
  // is the newest without valid_until. A primary open makes the first one.
  Result<std::vector<proto::SigningKey>> ReadSigningKeys() const;
  Status EnsureSigningKey();
  std::optional<proto::SigningKey> signing_key;  // the current key, guarded by write_mu
  std::shared_ptr<const P384Signer> signer;      // its private part, read once; likewise
  void IndexArticle(rocksdb::WriteBatch& batch, const proto::Article& article);
  Status LoadDictionaries();
  Status OpenSecondaryInstance();
  Status WriteFormatMarker();
  bool HoldsNothing() const;  // no key in any column family
  // The format marker: InvalidArgument when there is none (another RocksDB database) or it is
  // another format.
  Status CheckFormat() const {
    std::string format;
    rocksdb::Status s =
        db->Get(rocksdb::ReadOptions(), db->DefaultColumnFamily(),
                rocksdb::Slice(detail::kFormatKey.data(), detail::kFormatKey.size()), &format);
    if (s.IsNotFound()) {
      return InvalidArgumentError("not a stillpost store: " + path +
                                  " is a RocksDB database without stillpost's format marker");
    }
    SP_RETURN_IF_ERROR(Rocks(s));
    if (format != detail::kFormatVersion) {
      return InvalidArgumentError("store " + path + " has format " + format +
                                  "; this stillpost reads format " +
                                  std::string(detail::kFormatVersion));
    }
    return Status::Ok();
  }
  // After the database is open: our column families, the dictionaries and the counters.
  Status LoadState() {
    SP_RETURN_IF_ERROR(BindHandles());
    SP_RETURN_IF_ERROR(LoadDictionaries());
    auto stored = GetProto<proto::StoreCounters>(rocksdb::ReadOptions(), db->DefaultColumnFamily(),
                                                 detail::kCountersKey);
    if (stored) {
      counters = std::move(*stored);
    } else if (stored.error().code() != StatusCode::kNotFound) {
      return stored.error();
    }
    return Status::Ok();
  }
  Status ReadBlobValue(const std::string& key, rocksdb::PinnableSlice* out,
                       std::shared_ptr<BlobReader>* keep) const;
  void MaybeTrainDictionary();
  Status OpenExisting(const std::vector<std::string>& existing);
  Status CreateNew();
};

}  // namespace stillpost::archive
