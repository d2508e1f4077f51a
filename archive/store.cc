#include "archive/store.h"

#include <google/protobuf/util/time_util.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_set>

#include "archive/detail/keys.h"
#include "archive/detail/record_codec.h"
#include "common/post_key.h"
#include "common/sha256.h"

namespace stillpost::archive {
namespace {

namespace fs = std::filesystem;
using google::protobuf::Timestamp;
using google::protobuf::util::TimeUtil;
using proto::Capture;
using proto::PostState;

// Tuning, measured with bench/store_bench (see docs/storage.md).
constexpr size_t kRecordBlockSize = 4 << 10;        // states, captures: values are pre-compressed
constexpr size_t kBlockSize = 16 << 10;             // everything else, zstd by RocksDB
constexpr double kBloomBitsPerKey = 10.0;           // ~1% false positives
constexpr uint64_t kMinBlobFileValue = 16 << 10;    // blobs at least this large go to blob files
constexpr int kMaxBackgroundJobs = 2;               // the machines we run on have 2 cores
constexpr size_t kWriteBufferBytes = 128 << 20;     // fewer, larger L0 files during bulk ingest
constexpr size_t kBlobWriteBufferBytes = 32 << 20;  // media: flushed to blob files sooner
// The record dictionary is trained once the store has this many posts, from this many of them.
constexpr uint64_t kTrainAfterPosts = 4000;
constexpr size_t kTrainSamples = 4000;
constexpr size_t kDictBytes = 64 << 10;
constexpr std::string_view kDictKeyPrefix = "stillpost/dict/";

// Translates a RocksDB status once, here. `path` names the store in messages.
Status FromRocks(const rocksdb::Status& s, const std::string& path) {
  if (s.ok()) return Status::Ok();
  const std::string what = s.ToString();
  if (s.IsCorruption()) return DataLossError("store " + path + " is corrupt: " + what);
  if (s.IsNotFound()) return NotFoundError(what);
  if (s.IsIOError() &&
      (what.find("lock") != std::string::npos || what.find("LOCK") != std::string::npos)) {
    return UnavailableError("store " + path + " is in use by another process");
  }
  if (s.IsNoSpace()) return ResourceExhaustedError("store " + path + ": disk full: " + what);
  if (s.IsBusy() || s.IsTryAgain()) return UnavailableError("store " + path + ": " + what);
  return InternalError("store " + path + ": " + what);
}

int64_t Micros(const Timestamp& ts) { return TimeUtil::TimestampToMicroseconds(ts); }

rocksdb::ColumnFamilyOptions BaseCfOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                           size_t block_size,
                                           rocksdb::CompressionType compression) {
  rocksdb::ColumnFamilyOptions cf;
  cf.compression = compression;
  cf.bottommost_compression = compression;
  cf.write_buffer_size = kWriteBufferBytes;
  cf.level_compaction_dynamic_level_bytes = true;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.no_block_cache = cache == nullptr;
  table.block_size = block_size;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
  table.whole_key_filtering = true;
  table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  table.format_version = 5;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

// Options per column family: what each holds decides what makes its reads fast.
rocksdb::ColumnFamilyOptions CfOptions(const std::string& name,
                                       const std::shared_ptr<rocksdb::Cache>& cache) {
  // States hold values that RecordCodec compressed already: RocksDB must not compress them
  // again. Their blocks are then plain bytes of the SST file, read in place through mmap from the
  // OS page cache: no block cache (a copy, an LRU insert and an eviction per miss) in the way.
  if (name == detail::kCfStates) {
    return BaseCfOptions(nullptr, kRecordBlockSize, rocksdb::kNoCompression);
  }
  if (name == detail::kCfBlobs) {
    // Media is already compressed: large values go to blob files as they are; small ones (raw
    // JSON bodies, tiny avatars) stay in the SST and get zstd.
    rocksdb::ColumnFamilyOptions cf = BaseCfOptions(cache, kBlockSize, rocksdb::kZSTD);
    cf.enable_blob_files = true;
    cf.min_blob_size = kMinBlobFileValue;
    // No RocksDB blob cache: in 7.8 its cache keys are computed from state a secondary instance
    // does not keep stable, and the server crashed in BlobSource::GetBlob under load (seen
    // here, core dump). The server keeps hot media in a cache of its own (server/routes.cc).
    // Media sit in the memtable until a flush moves them to blob files: keep that bounded.
    cf.write_buffer_size = kBlobWriteBufferBytes;
    cf.blob_compression_type = rocksdb::kNoCompression;
    return cf;
  }
  return BaseCfOptions(cache, kBlockSize, rocksdb::kZSTD);
}

const std::vector<std::string>& OurColumnFamilies() {
  static const std::vector<std::string> names = {rocksdb::kDefaultColumnFamilyName,
                                                 detail::kCfStates,
                                                 detail::kCfCaptures,
                                                 detail::kCfBlobs,
                                                 detail::kCfBlobMeta,
                                                 detail::kCfArticles,
                                                 detail::kCfIndexes};
  return names;
}

// Every blob digest a capture refers to, in the post, its quoted post and its parent.
void CollectBlobRefs(const proto::Post& post, std::vector<std::string>& out) {
  auto add = [&out](const std::string& d) {
    if (!d.empty()) out.push_back(d);
  };
  add(post.author().avatar_blob());
  for (const auto& m : post.media()) {
    add(m.blob());
    add(m.poster_blob());
  }
  for (const auto& e : post.entities()) add(e.target_blob());
  add(post.card().image_blob());
  if (post.has_quoted()) CollectBlobRefs(post.quoted(), out);
  if (post.has_reply_to()) CollectBlobRefs(post.reply_to(), out);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

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

Blob::Blob() : rep_(std::make_unique<Rep>()) {}
Blob::~Blob() = default;
Blob::Blob(Blob&&) noexcept = default;
Blob& Blob::operator=(Blob&&) noexcept = default;
std::string_view Blob::data() const { return {rep_->value.data(), rep_->value.size()}; }

// ---------------------------------------------------------------------------------------------

namespace {

rocksdb::DBOptions MakeDbOptions() {
  rocksdb::DBOptions db;
  db.create_if_missing = false;
  db.create_missing_column_families = false;
  db.max_background_jobs = kMaxBackgroundJobs;
  db.bytes_per_sync = 1 << 20;
  db.paranoid_checks = true;
  db.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db.keep_log_file_num = 3;
  // SST and blob files are immutable: reading them through mmap spares a pread and a copy per
  // block, and lets uncompressed blocks (states) and blob values be used where they lie.
  db.allow_mmap_reads = true;
  return db;
}

}  // namespace

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

  std::string PrimarySignature() const {
    std::string sig;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const std::string name = entry.path().filename().string();
      const bool log = name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0;
      if (!log && name.rfind("MANIFEST-", 0) != 0 && name != "CURRENT") continue;
      std::error_code e2;
      const auto size = entry.file_size(e2);
      const auto mtime = entry.last_write_time(e2).time_since_epoch().count();
      sig += name + ":" + std::to_string(size) + ":" + std::to_string(mtime) + ";";
    }
    return sig;
  }

  // Secondary only: the read-only instance blobs are read from, and when it was last opened.
  mutable std::mutex blob_reader_mu;
  mutable std::shared_ptr<BlobReader> blob_reader;
  mutable std::chrono::steady_clock::time_point blob_reader_opened{};

  Result<std::shared_ptr<BlobReader>> OpenBlobReader() const {
    std::vector<std::string> existing;
    SP_RETURN_IF_ERROR(
        Rocks(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &existing)));
    auto cache = rocksdb::NewLRUCache(1 << 20);
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& name : existing) descriptors.emplace_back(name, CfOptions(name, cache));
    auto reader = std::make_shared<BlobReader>();
    rocksdb::DB* raw = nullptr;
    SP_RETURN_IF_ERROR(Rocks(
        rocksdb::DB::OpenForReadOnly(MakeDbOptions(), path, descriptors, &reader->handles, &raw)));
    reader->db.reset(raw);
    for (auto* h : reader->handles) {
      if (h->GetName() == detail::kCfBlobs) reader->blobs = h;
    }
    if (reader->blobs == nullptr) return DataLossError("store " + path + " has no blobs");
    return reader;
  }

  // The current blob reader; `refresh` reopens it (at most once a second) to see newer blobs.
  Result<std::shared_ptr<BlobReader>> CurrentBlobReader(bool refresh) const {
    std::lock_guard<std::mutex> lock(blob_reader_mu);
    const auto now = std::chrono::steady_clock::now();
    if (!blob_reader || (refresh && now - blob_reader_opened > std::chrono::seconds(1))) {
      auto reader = OpenBlobReader();
      if (!reader) return reader.error();
      blob_reader = std::move(*reader);
      blob_reader_opened = now;
    }
    return blob_reader;
  }

  std::shared_lock<std::shared_mutex> ReadGuard() const {
    return secondary ? std::shared_lock<std::shared_mutex>(catch_up_mu)
                     : std::shared_lock<std::shared_mutex>();
  }
  bool training_failed = false;  // do not retry a failed training in this process

  ~Impl() { Close(); }

  void Close() {
    if (!db) return;
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
    handles.clear();
    db->Close().PermitUncheckedError();
    db.reset();
  }

  Status Rocks(const rocksdb::Status& s) const { return FromRocks(s, path); }

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
    ExpandHeader(out.header, !record.empty());
    if (with_record) out.record = record;
    return out;
  }

  // Most posts are captured once: their three times are equal. The stored header leaves out the
  // ones equal to last_checked, and readers put them back.
  static void CompactHeader(PostState& h) {
    if (h.has_first_seen() && Micros(h.first_seen()) == Micros(h.last_checked())) {
      h.clear_first_seen();
    }
    if (h.has_latest_good_at() && Micros(h.latest_good_at()) == Micros(h.last_checked())) {
      h.clear_latest_good_at();
    }
  }
  static void ExpandHeader(PostState& h, bool has_latest) {
    if (!h.has_first_seen()) *h.mutable_first_seen() = h.last_checked();
    if (has_latest && !h.has_latest_good_at()) *h.mutable_latest_good_at() = h.last_checked();
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
    }
    if (states == nullptr || captures == nullptr || blobs == nullptr || blob_meta == nullptr ||
        articles == nullptr || indexes == nullptr) {
      return InvalidArgumentError("not a stillpost store: " + path);
    }
    return Status::Ok();
  }

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

// ---------------------------------------------------------------------------------------------

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;
const std::string& Store::path() const { return impl_->path; }

Status Store::Impl::OpenExisting(const std::vector<std::string>& existing) {
  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : existing) descriptors.emplace_back(name, CfOptions(name, cache));
  rocksdb::DB* raw = nullptr;
  rocksdb::DBOptions dbo = MakeDbOptions();
  SP_RETURN_IF_ERROR(Rocks(rocksdb::DB::Open(dbo, path, descriptors, &handles, &raw)));
  db.reset(raw);

  if (Status format = CheckFormat(); !format.ok()) {
    // A creation cut short (killed between RocksDB creating its files and our marker) leaves a
    // database with nothing in it: finish creating it. One with data is someone else's.
    if (!HoldsNothing()) {
      Close();
      return format;
    }
    SP_RETURN_IF_ERROR(WriteFormatMarker());
  }
  // Column families added by a newer schema of ours are created on first open.
  for (const auto& name : OurColumnFamilies()) {
    if (std::find(existing.begin(), existing.end(), name) != existing.end()) continue;
    rocksdb::ColumnFamilyHandle* h = nullptr;
    SP_RETURN_IF_ERROR(Rocks(db->CreateColumnFamily(CfOptions(name, cache), name, &h)));
    handles.push_back(h);
  }
  return Status::Ok();
}

Status Store::Impl::CreateNew() {
  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : OurColumnFamilies())
    descriptors.emplace_back(name, CfOptions(name, cache));
  rocksdb::DBOptions dbo = MakeDbOptions();
  dbo.create_if_missing = true;
  dbo.create_missing_column_families = true;
  dbo.error_if_exists = true;
  rocksdb::DB* raw = nullptr;
  SP_RETURN_IF_ERROR(Rocks(rocksdb::DB::Open(dbo, path, descriptors, &handles, &raw)));
  db.reset(raw);
  return WriteFormatMarker();
}

Status Store::Impl::WriteFormatMarker() {
  rocksdb::WriteBatch batch;
  batch.Put(db->DefaultColumnFamily(),
            rocksdb::Slice(detail::kFormatKey.data(), detail::kFormatKey.size()),
            rocksdb::Slice(detail::kFormatVersion.data(), detail::kFormatVersion.size()));
  rocksdb::WriteOptions w;
  w.sync = true;
  return Rocks(db->Write(w, &batch));
}

bool Store::Impl::HoldsNothing() const {
  for (auto* h : handles) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), h));
    it->SeekToFirst();
    if (it->Valid() || !it->status().ok()) return false;
  }
  return true;
}

Status Store::Impl::LoadDictionaries() {
  std::unique_ptr<rocksdb::Iterator> iter(db->NewIterator(rocksdb::ReadOptions()));
  const rocksdb::Slice prefix(kDictKeyPrefix.data(), kDictKeyPrefix.size());
  for (iter->Seek(prefix); iter->Valid() && iter->key().starts_with(prefix); iter->Next()) {
    std::string_view k(iter->key().data(), iter->key().size());
    const auto id = static_cast<uint32_t>(detail::DecodeBigEndian64(k.substr(prefix.size())));
    SP_RETURN_IF_ERROR(
        codec.AddDictionary(id, std::string_view(iter->value().data(), iter->value().size())));
  }
  return Rocks(iter->status());
}

// Trains the record dictionary from the store's own posts, once there are enough of them.
// Records written before it stay plain zstd and readable; the dictionary is never replaced.
void Store::Impl::MaybeTrainDictionary() {
  if (codec.newest_dictionary() != 0 || training_failed || counters.posts() < kTrainAfterPosts) {
    return;
  }
  std::vector<std::string> samples;
  std::unique_ptr<rocksdb::Iterator> iter(db->NewIterator(rocksdb::ReadOptions(), states));
  std::string decoded;
  for (iter->SeekToFirst(); iter->Valid() && samples.size() < kTrainSamples; iter->Next()) {
    std::string_view header, record;
    if (detail::SplitStateValue(std::string_view(iter->value().data(), iter->value().size()),
                                header, record) &&
        !record.empty() && codec.Decode(record, decoded).ok()) {
      samples.push_back(decoded);
    }
  }
  auto dict = detail::RecordCodec::Train(samples, kDictBytes);
  if (!dict) {
    training_failed = true;
    return;
  }
  const uint32_t id = 1;
  std::string key(kDictKeyPrefix);
  detail::AppendBigEndian64(key, id);
  rocksdb::WriteOptions w;
  w.sync = true;
  // The dictionary is durable before any record refers to it.
  if (!db->Put(w, db->DefaultColumnFamily(), key, *dict).ok() ||
      !codec.AddDictionary(id, *dict).ok()) {
    training_failed = true;
  }
}

// The MANIFEST file the primary's CURRENT names ("MANIFEST-000042"); empty when unreadable.
std::string CurrentManifest(const std::string& path) {
  std::ifstream in(fs::path(path) / "CURRENT");
  std::string name;
  std::getline(in, name);
  return name;
}

Status Store::Impl::OpenSecondaryInstance() {
  std::vector<std::string> existing;
  SP_RETURN_IF_ERROR(Rocks(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &existing)));
  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : existing) descriptors.emplace_back(name, CfOptions(name, cache));
  rocksdb::DBOptions dbo = MakeDbOptions();
  dbo.max_open_files = -1;  // required of a secondary instance
  // Catch-up opens new tables inline: RocksDB's default spawns 16 threads for it on every pass.
  dbo.max_file_opening_threads = 1;
  rocksdb::DB* raw = nullptr;
  std::error_code ec;
  fs::create_directories(secondary_path, ec);
  primary_manifest = CurrentManifest(path);
  SP_RETURN_IF_ERROR(
      Rocks(rocksdb::DB::OpenAsSecondary(dbo, path, secondary_path, descriptors, &handles, &raw)));
  db.reset(raw);
  return BindHandles();
}

Result<std::unique_ptr<Store>> Store::OpenSecondary(const std::string& path,
                                                    const std::string& secondary_path,
                                                    const StoreOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = options;
  impl->secondary = true;
  impl->secondary_path = secondary_path;
  if (!fs::exists(fs::path(path) / "CURRENT"))
    return NotFoundError("no stillpost store at " + path);
  SP_RETURN_IF_ERROR(impl->OpenSecondaryInstance());
  auto store = std::unique_ptr<Store>(new Store(std::move(impl)));
  SP_RETURN_IF_ERROR(store->CatchUp());
  return store;
}

Status Store::CatchUp() {
  Impl& im = *impl_;
  if (!im.secondary) return Status::Ok();
  std::string signature = im.PrimarySignature();
  // Directory listings order entries arbitrarily but stably; an unchanged listing is unchanged.
  if (!signature.empty() && signature == im.primary_signature) return Status::Ok();
  {
    std::unique_lock<std::shared_mutex> hold(im.catch_up_mu);
    const std::string manifest = CurrentManifest(im.path);
    if (!manifest.empty() && manifest != im.primary_manifest) {
      // The primary was opened again since: start from what it recovered, not from our replay.
      im.Close();
      im.states = im.captures = im.blobs = im.blob_meta = im.articles = im.indexes = nullptr;
      SP_RETURN_IF_ERROR(im.OpenSecondaryInstance());
    } else {
      SP_RETURN_IF_ERROR(im.Rocks(im.db->TryCatchUpWithPrimary()));
    }
  }
  im.primary_signature = std::move(signature);
  if (im.codec.newest_dictionary() == 0) SP_RETURN_IF_ERROR(im.LoadDictionaries());
  auto counters = im.GetProto<proto::StoreCounters>(
      rocksdb::ReadOptions(), im.db->DefaultColumnFamily(), detail::kCountersKey);
  std::lock_guard<std::mutex> lock(im.write_mu);
  if (counters) im.counters = std::move(*counters);
  return Status::Ok();
}

Result<std::unique_ptr<Store>> Store::OpenReadOnly(const std::string& path,
                                                   const StoreOptions& options) {
  if (path.empty()) return InvalidArgumentError("the store path is empty");
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return UnavailableError("cannot read " + path + ": " + ec.message());
  }
  if (!fs::exists(st)) return NotFoundError("no stillpost store at " + path);
  if (!fs::is_directory(st)) {
    return InvalidArgumentError("not a stillpost store: " + path + " is not a directory");
  }
  if (!fs::exists(fs::path(path) / "CURRENT")) {
    return fs::is_empty(path, ec) ? NotFoundError("no stillpost store at " + path)
                                  : InvalidArgumentError("not a stillpost store: " + path +
                                                         " is a directory with other files in it");
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = options;
  impl->read_only = true;
  std::vector<std::string> existing;
  SP_RETURN_IF_ERROR(
      impl->Rocks(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &existing)));
  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : existing) descriptors.emplace_back(name, CfOptions(name, cache));
  rocksdb::DB* raw = nullptr;
  SP_RETURN_IF_ERROR(impl->Rocks(
      rocksdb::DB::OpenForReadOnly(MakeDbOptions(), path, descriptors, &impl->handles, &raw)));
  impl->db.reset(raw);
  SP_RETURN_IF_ERROR(impl->CheckFormat());
  SP_RETURN_IF_ERROR(impl->LoadState());
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Status Store::CheckReadable() const {
  const auto read_guard = impl_->ReadGuard();
  if (!impl_->db) return UnavailableError("store " + impl_->path + " is not open");
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  std::string value;
  rocksdb::Status s =
      impl_->db->Get(ro, impl_->db->DefaultColumnFamily(),
                     rocksdb::Slice(detail::kFormatKey.data(), detail::kFormatKey.size()), &value);
  if (!s.ok()) return impl_->Rocks(s);
  if (value != detail::kFormatVersion)
    return DataLossError("store " + impl_->path + " format marker changed");
  if (!fs::exists(fs::path(impl_->path) / "CURRENT")) {
    return UnavailableError("store " + impl_->path + " is gone from disk");
  }
  auto counters = impl_->GetProto<proto::StoreCounters>(ro, impl_->db->DefaultColumnFamily(),
                                                        detail::kCountersKey);
  if (!counters && counters.error().code() != StatusCode::kNotFound) return counters.error();
  return Status::Ok();
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, const StoreOptions& options) {
  if (path.empty()) return InvalidArgumentError("the store path is empty");
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = options;

  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return UnavailableError("cannot read " + path + ": " + ec.message());
  }
  const bool exists = fs::exists(st);
  if (exists && !fs::is_directory(st)) {
    return InvalidArgumentError("not a stillpost store: " + path + " is not a directory");
  }
  // A directory holding only what RocksDB writes before CURRENT is a creation cut short.
  auto only_creation_files = [&] {
    std::error_code e;
    for (const auto& entry : fs::directory_iterator(path, e)) {
      const std::string n = entry.path().filename().string();
      const bool rocks = n == "LOCK" || n == "IDENTITY" || n.rfind("LOG", 0) == 0 ||
                         n.rfind("MANIFEST-", 0) == 0 || n.rfind("OPTIONS-", 0) == 0 ||
                         n.ends_with(".dbtmp") || n.ends_with(".log");
      if (!rocks) return false;
    }
    return !e;
  };
  const bool empty_dir =
      exists && (fs::is_empty(path, ec) ||
                 (!fs::exists(fs::path(path) / "CURRENT") && only_creation_files()));
  if (!exists || empty_dir) {
    if (!options.create_if_missing) return NotFoundError("no stillpost store at " + path);
    SP_RETURN_IF_ERROR(impl->CreateNew());
  } else {
    if (!fs::exists(fs::path(path) / "CURRENT")) {
      return InvalidArgumentError("not a stillpost store: " + path +
                                  " is a directory with other files in it");
    }
    std::vector<std::string> existing;
    SP_RETURN_IF_ERROR(
        impl->Rocks(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &existing)));
    SP_RETURN_IF_ERROR(impl->OpenExisting(existing));
  }

  SP_RETURN_IF_ERROR(impl->LoadState());
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

// ---------------------------------------------------------------------------------------------

Result<AddResult> Store::AddCapture(const std::string& key, const proto::Capture& capture,
                                    std::span<const BlobWrite> blobs) {
  CaptureWrite w;
  w.key = key;
  w.capture = capture;
  w.blobs.assign(blobs.begin(), blobs.end());
  return AddCaptures(std::span<const CaptureWrite>(&w, 1));
}

namespace {

// What AddCaptures prepares for one write before it takes the write lock: the work that does not
// depend on what is stored (validation, hashing, compression), so callers can do it in parallel.
struct Prepared {
  int64_t at = 0;
  std::string record;                  // the encoded capture
  std::vector<std::string> blob_shas;  // parallel to CaptureWrite::blobs
  std::vector<std::string> refs;       // blobs the capture refers to
  Status status;
};

void Prepare(const detail::RecordCodec& codec, const CaptureWrite& w, Prepared& p) {
  if (auto parsed = ParsePostKey(w.key); !parsed) {
    p.status = parsed.error();
    return;
  }
  const Capture& capture = w.capture;
  if (!capture.has_captured_at() || Micros(capture.captured_at()) <= 0) {
    p.status = InvalidArgumentError("capture of " + w.key + " has no captured_at");
    return;
  }
  if (capture.outcome_case() == Capture::OUTCOME_NOT_SET) {
    p.status = InvalidArgumentError("capture of " + w.key + " has neither a post nor a tombstone");
    return;
  }
  p.at = Micros(capture.captured_at());
  for (const BlobWrite& b : w.blobs) {
    std::string sha = Sha256Hex(b.data);
    if (!b.meta.sha256().empty() && b.meta.sha256() != sha) {
      p.status = InvalidArgumentError("blob " + b.meta.sha256() + " does not match its data (" +
                                      sha + ")");
      return;
    }
    p.blob_shas.push_back(std::move(sha));
  }
  if (!capture.raw_body_blob().empty()) p.refs.push_back(capture.raw_body_blob());
  if (capture.has_post()) CollectBlobRefs(capture.post(), p.refs);
  thread_local std::string scratch;
  capture.SerializeToString(&scratch);
  codec.Encode(scratch, p.record);
}

// Below this many captures a batch is prepared on the calling thread alone.
constexpr size_t kParallelPrepareMin = 32;

}  // namespace

Result<AddResult> Store::AddCaptures(std::span<const CaptureWrite> writes) {
  Impl& im = *impl_;
  if (im.secondary || im.read_only) {
    return FailedPreconditionError("store " + im.path + " is open read-only here");
  }
  std::vector<Prepared> prepared(writes.size());
  auto prepare_range = [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) Prepare(im.codec, writes[i], prepared[i]);
  };
  if (writes.size() >= kParallelPrepareMin) {
    // Compression is most of the cost of a capture: split a batch across two threads.
    const size_t half = writes.size() / 2;
    std::thread helper(prepare_range, 0, half);
    prepare_range(half, writes.size());
    helper.join();
  } else {
    prepare_range(0, writes.size());
  }
  for (const Prepared& p : prepared) SP_RETURN_IF_ERROR(p.status);

  std::lock_guard<std::mutex> lock(im.write_mu);
  const rocksdb::ReadOptions ro;
  rocksdb::WriteBatch batch;
  std::map<std::string, Impl::StoredState> states;  // post states touched by this batch
  std::unordered_set<std::string> new_blobs;
  proto::StoreCounters counters = im.counters;
  AddResult result;

  for (size_t i = 0; i < writes.size(); ++i) {
    const CaptureWrite& w = writes[i];
    Prepared& p = prepared[i];
    const std::string& key = w.key;
    const Capture& capture = w.capture;
    const int64_t t = p.at;
    const std::string ckey = detail::CaptureKey(key, t);

    auto it = states.find(key);
    if (it == states.end()) {
      auto stored = im.ReadStoredState(ro, key, /*with_record=*/true);
      if (stored) {
        it = states.emplace(key, std::move(*stored)).first;
      } else if (stored.error().code() == StatusCode::kNotFound) {
        it = states.emplace(key, Impl::StoredState()).first;
      } else {
        return stored.error();
      }
    }
    Impl::StoredState& state = it->second;
    PostState& header = state.header;
    const bool is_new = header.capture_count() == 0;
    if (!is_new) {
      const int64_t last = Micros(header.last_checked());
      if (t == last || im.Exists(ro, im.captures, ckey)) {
        return AlreadyExistsError("a capture of " + key + " at " + FormatRfc3339(t) +
                                  " is stored already");
      }
      if (t < last) {
        return FailedPreconditionError("capture of " + key + " at " + FormatRfc3339(t) +
                                       " is older than its newest capture (" + FormatRfc3339(last) +
                                       ")");
      }
    }

    // Blobs: each new one once.
    for (size_t b = 0; b < w.blobs.size(); ++b) {
      const std::string& sha = p.blob_shas[b];
      if (new_blobs.contains(sha) || im.Exists(ro, im.blob_meta, sha)) continue;
      const BlobWrite& blob = w.blobs[b];
      proto::BlobMeta meta = blob.meta;
      meta.set_sha256(sha);
      meta.set_size(blob.data.size());
      if (!meta.has_first_fetched()) *meta.mutable_first_fetched() = capture.captured_at();
      if (blob.data.size() > kBlobChunkBytes) {
        // In pieces: a range request then reads the pieces it needs, not the whole video.
        meta.set_chunk_bytes(static_cast<uint32_t>(kBlobChunkBytes));
        uint32_t index = 0;
        for (size_t at = 0; at < blob.data.size(); at += kBlobChunkBytes, ++index) {
          const size_t n = std::min(kBlobChunkBytes, blob.data.size() - at);
          batch.Put(im.blobs, detail::BlobChunkKey(sha, index),
                    rocksdb::Slice(blob.data.data() + at, n));
        }
      } else {
        batch.Put(im.blobs, sha, rocksdb::Slice(blob.data.data(), blob.data.size()));
      }
      batch.Put(im.blob_meta, sha, meta.SerializeAsString());
      counters.set_blobs(counters.blobs() + 1);
      counters.set_blob_bytes(counters.blob_bytes() + blob.data.size());
      result.blobs_written++;
      result.blob_bytes_written += blob.data.size();
      new_blobs.insert(sha);
    }
    for (const auto& ref : p.refs) {
      if (!new_blobs.contains(ref) && !im.Exists(ro, im.blob_meta, ref)) {
        return InvalidArgumentError("capture of " + key + " refers to blob " + ref +
                                    ", which is neither given nor stored");
      }
    }

    // Posts only ever seen gone (a mistyped id, a post deleted before we came) are counted
    // apart: they are known, not archived.
    if (capture.has_post() && !is_new && !header.has_latest_good_at()) {
      if (counters.never_whole() > 0) counters.set_never_whole(counters.never_whole() - 1);
    } else if (!capture.has_post() && is_new) {
      counters.set_never_whole(counters.never_whole() + 1);
    }
    if (capture.has_post()) {
      // The latest good capture lives beside the state (one read serves the embed path); its
      // slot in `captures` holds an empty marker until a newer good capture moves it there.
      if (!state.record.empty()) {
        batch.Put(im.captures, detail::CaptureKey(key, Micros(header.latest_good_at())),
                  state.record);
      }
      batch.Put(im.captures, ckey, rocksdb::Slice());
      state.record = std::move(p.record);
      *header.mutable_latest_good_at() = capture.captured_at();
      header.set_current(PostState::CURRENT_LIVE);
      header.clear_gone_since();
      header.clear_gone_kind();
    } else {
      batch.Put(im.captures, ckey, p.record);
      if (header.current() != PostState::CURRENT_GONE) {
        *header.mutable_gone_since() = capture.captured_at();
      }
      header.set_current(PostState::CURRENT_GONE);
      header.set_gone_kind(capture.tombstone().kind());
    }
    if (is_new) {
      *header.mutable_first_seen() = capture.captured_at();
      counters.set_posts(counters.posts() + 1);
    }
    *header.mutable_last_checked() = capture.captured_at();
    header.set_capture_count(header.capture_count() + 1);
    counters.set_captures(counters.captures() + 1);
    batch.Put(im.indexes, detail::TimeIndexKey(t, key), rocksdb::Slice());
    // Bluesky: the handle this capture shows, for lookups by bsky.app URL without the network;
    // only when the capture resolved the handle to this DID (a post cannot claim a handle).
    if (capture.has_post() && capture.post().platform() == proto::PLATFORM_BLUESKY &&
        capture.handle_verified()) {
      const auto& author = capture.post().author();
      if (!author.handle().empty() && author.handle() != "handle.invalid" && !author.id().empty()) {
        batch.Put(im.indexes, detail::HandleIndexKey(author.handle()), author.id());
      }
    }
  }

  std::string header_bytes, value;
  for (auto& [key, state] : states) {
    Impl::CompactHeader(state.header);
    state.header.SerializeToString(&header_bytes);
    detail::EncodeStateValue(header_bytes, state.record, value);
    batch.Put(im.states, key, value);
  }
  batch.Put(im.db->DefaultColumnFamily(),
            rocksdb::Slice(detail::kCountersKey.data(), detail::kCountersKey.size()),
            counters.SerializeAsString());
  SP_RETURN_IF_ERROR(im.Rocks(im.db->Write(im.WriteOpts(), &batch)));
  im.counters = std::move(counters);
  im.MaybeTrainDictionary();
  return result;
}

// ---------------------------------------------------------------------------------------------

Result<proto::Capture> Store::LatestGood(std::string_view key) const {
  const Impl& im = *impl_;
  const auto read_guard = impl_->ReadGuard();
  rocksdb::PinnableSlice value;
  rocksdb::Status s =
      im.db->Get(rocksdb::ReadOptions(), im.states, rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return NotFoundError("no post " + std::string(key) + " in the archive");
  SP_RETURN_IF_ERROR(im.Rocks(s));
  std::string_view header, record;
  if (!detail::SplitStateValue(std::string_view(value.data(), value.size()), header, record)) {
    return DataLossError("store " + im.path + ": unreadable state of " + std::string(key));
  }
  if (record.empty()) return NotFoundError(std::string(key) + " was never captured whole");
  return im.DecodeRecord(record, key);
}

Result<proto::PostState> Store::State(std::string_view key) const {
  const auto read_guard = impl_->ReadGuard();
  return impl_->ReadState(rocksdb::ReadOptions(), key);
}

Result<Store::StateAndLatest> Store::StateForServing(std::string_view key) const {
  const auto read_guard = impl_->ReadGuard();
  // Verified like every other read: with the checksum skipped, a flipped bit in a states block
  // was served as different text, links and media digests (docs/storage.md has the cost).
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  auto stored = impl_->ReadStoredState(ro, key, /*with_record=*/true);
  if (!stored) return stored.error();
  StateAndLatest out;
  out.state = std::move(stored->header);
  out.state.set_key(std::string(key));
  out.encoded = std::move(stored->record);
  return out;
}

Result<proto::Capture> Store::DecodeLatest(const StateAndLatest& s) const {
  if (s.encoded.empty()) return NotFoundError(s.state.key() + " was never captured whole");
  return impl_->DecodeRecord(s.encoded, s.state.key());
}

Result<const proto::Capture*> Store::DecodeLatest(const StateAndLatest& s,
                                                  google::protobuf::Arena& arena) const {
  if (s.encoded.empty()) return NotFoundError(s.state.key() + " was never captured whole");
  auto* c = google::protobuf::Arena::CreateMessage<proto::Capture>(&arena);
  SP_RETURN_IF_ERROR(impl_->DecodeRecordInto(s.encoded, s.state.key(), *c));
  return c;
}

Result<proto::PostState> Store::StateSummary(std::string_view key) const {
  const auto read_guard = impl_->ReadGuard();
  auto stored = impl_->ReadStoredState(rocksdb::ReadOptions(), key, /*with_record=*/false);
  if (!stored) return stored.error();
  stored->header.set_key(std::string(key));
  return std::move(stored->header);
}

namespace {

// A consistent view for reads that touch several records: a RocksDB snapshot, or on a
// secondary instance (which has none) a shared hold on the catch-up lock.
class Snapshot {
 public:
  Snapshot(rocksdb::DB* db, std::shared_mutex& catch_up, bool secondary)
      : db_(db), snap_(secondary ? nullptr : db->GetSnapshot()) {
    if (secondary) {
      hold_ = std::shared_lock<std::shared_mutex>(catch_up);
    } else {
      ro_.snapshot = snap_;
    }
  }
  ~Snapshot() {
    if (snap_ != nullptr) db_->ReleaseSnapshot(snap_);
  }
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;
  rocksdb::ReadOptions& read_options() { return ro_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snap_;
  std::shared_lock<std::shared_mutex> hold_;
  rocksdb::ReadOptions ro_;
};

}  // namespace

Result<std::vector<proto::Capture>> Store::Captures(std::string_view key) const {
  const Impl& im = *impl_;
  Snapshot snap(im.db.get(), im.catch_up_mu, im.secondary);
  auto state = im.ReadStoredState(snap.read_options(), key, /*with_record=*/true);
  if (!state) return state.error();
  const std::string prefix = detail::CapturePrefix(key);
  const std::string end = detail::CapturePrefixEnd(key);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro = snap.read_options();
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> iter(im.db->NewIterator(ro, im.captures));
  std::vector<proto::Capture> out;
  for (iter->Seek(prefix); iter->Valid(); iter->Next()) {
    auto c = im.DecodeCaptureValue(iter->value(), *state, key);
    if (!c) return c.error();
    out.push_back(std::move(*c));
  }
  SP_RETURN_IF_ERROR(im.Rocks(iter->status()));
  return out;
}

Result<proto::Capture> Store::CaptureAt(std::string_view key, UnixMicros at) const {
  const Impl& im = *impl_;
  Snapshot snap(im.db.get(), im.catch_up_mu, im.secondary);
  rocksdb::PinnableSlice value;
  rocksdb::Status s =
      im.db->Get(snap.read_options(), im.captures, detail::CaptureKey(key, at), &value);
  if (s.IsNotFound()) {
    return NotFoundError("no capture of " + std::string(key) + " at " + FormatRfc3339(at));
  }
  SP_RETURN_IF_ERROR(im.Rocks(s));
  Impl::StoredState state;
  if (value.empty()) {
    auto stored = im.ReadStoredState(snap.read_options(), key, /*with_record=*/true);
    if (!stored) return stored.error();
    state = std::move(*stored);
  }
  return im.DecodeCaptureValue(value, state, key);
}

Result<proto::Capture> Store::GoodCaptureAtOrBefore(std::string_view key, UnixMicros at) const {
  const Impl& im = *impl_;
  Snapshot snap(im.db.get(), im.catch_up_mu, im.secondary);
  auto state = im.ReadStoredState(snap.read_options(), key, /*with_record=*/true);
  if (!state) return state.error();
  const std::string prefix = detail::CapturePrefix(key);
  const std::string start = detail::CaptureKey(key, at);
  rocksdb::Slice lower(prefix);
  rocksdb::ReadOptions ro = snap.read_options();
  ro.iterate_lower_bound = &lower;
  std::unique_ptr<rocksdb::Iterator> iter(im.db->NewIterator(ro, im.captures));
  // Newest first from `at`: a post's captures are few, and a tombstone is skipped.
  for (iter->SeekForPrev(start); iter->Valid(); iter->Prev()) {
    auto c = im.DecodeCaptureValue(iter->value(), *state, key);
    if (!c) return c.error();
    if (c->has_post()) return std::move(*c);
  }
  SP_RETURN_IF_ERROR(im.Rocks(iter->status()));
  return NotFoundError("no capture of " + std::string(key) + " with the post at or before " +
                       FormatRfc3339(at));
}

// One value of the blobs column family (a whole blob, or a piece of one) into `out`; a
// secondary reads through its blob reader, reopened once when the value is not there yet.
Status Store::Impl::ReadBlobValue(const std::string& key, rocksdb::PinnableSlice* out,
                                  std::shared_ptr<BlobReader>* keep) const {
  if (secondary) {
    for (bool refresh : {false, true}) {
      auto reader = CurrentBlobReader(refresh);
      if (!reader) return reader.error();
      out->Reset();
      rocksdb::Status s = (*reader)->db->Get(rocksdb::ReadOptions(), (*reader)->blobs, key, out);
      if (s.ok()) {
        if (keep != nullptr) *keep = *reader;
        return Status::Ok();
      }
      if (!s.IsNotFound() && !s.IsIOError()) return Rocks(s);
      // Not there, or a file the writer has since compacted away: reopen and look again.
    }
    return NotFoundError("no blob " + key);
  }
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), blobs, key, out);
  if (s.IsNotFound()) return NotFoundError("no blob " + key);
  return Rocks(s);
}

Result<Blob> Store::GetBlob(std::string_view sha256, const proto::BlobMeta* known) const {
  if (!IsSha256Hex(sha256)) return InvalidArgumentError("malformed blob digest");
  Result<proto::BlobMeta> meta =
      known != nullptr ? Result<proto::BlobMeta>(*known) : GetBlobMeta(sha256);
  if (!meta && meta.error().code() != StatusCode::kNotFound) return meta.error();
  Blob blob;
  const std::string sha(sha256);
  if (!meta || meta->chunk_bytes() == 0) {
    SP_RETURN_IF_ERROR(impl_->ReadBlobValue(sha, &blob.rep_->value, &blob.rep_->reader));
    return blob;
  }
  std::string* whole = blob.rep_->value.GetSelf();
  whole->reserve(static_cast<size_t>(meta->size()));
  rocksdb::PinnableSlice piece;
  for (uint32_t i = 0; whole->size() < meta->size(); ++i) {
    SP_RETURN_IF_ERROR(impl_->ReadBlobValue(detail::BlobChunkKey(sha, i), &piece, nullptr));
    if (piece.size() == 0) return DataLossError("blob " + sha + " has an empty piece");
    whole->append(piece.data(), piece.size());
  }
  if (whole->size() != meta->size()) return DataLossError("blob " + sha + " is not its size");
  blob.rep_->value.PinSelf();
  return blob;
}

Result<std::string> Store::ReadBlobRange(std::string_view sha256, uint64_t offset, size_t length,
                                         const proto::BlobMeta* known) const {
  if (!IsSha256Hex(sha256)) return InvalidArgumentError("malformed blob digest");
  Result<proto::BlobMeta> meta =
      known != nullptr ? Result<proto::BlobMeta>(*known) : GetBlobMeta(sha256);
  if (!meta) return meta.error();
  if (offset > meta->size() || length > meta->size() - offset) {
    return InvalidArgumentError("range outside blob " + std::string(sha256));
  }
  const std::string sha(sha256);
  std::string out;
  out.reserve(length);
  rocksdb::PinnableSlice value;
  if (meta->chunk_bytes() == 0) {
    SP_RETURN_IF_ERROR(impl_->ReadBlobValue(sha, &value, nullptr));
    if (value.size() != meta->size()) return DataLossError("blob " + sha + " is not its size");
    out.assign(value.data() + offset, length);
    return out;
  }
  const uint64_t chunk = meta->chunk_bytes();
  for (uint64_t at = offset; out.size() < length;) {
    const auto index = static_cast<uint32_t>(at / chunk);
    SP_RETURN_IF_ERROR(impl_->ReadBlobValue(detail::BlobChunkKey(sha, index), &value, nullptr));
    const uint64_t start = at - uint64_t{index} * chunk;
    if (start >= value.size()) return DataLossError("blob " + sha + " has a short piece");
    const size_t n =
        std::min<size_t>(length - out.size(), value.size() - static_cast<size_t>(start));
    out.append(value.data() + start, n);
    at += n;
  }
  return out;
}

Result<proto::BlobMeta> Store::GetBlobMeta(std::string_view sha256) const {
  const auto read_guard = impl_->ReadGuard();
  if (!IsSha256Hex(sha256)) return InvalidArgumentError("malformed blob digest");
  auto meta = impl_->GetProto<proto::BlobMeta>(rocksdb::ReadOptions(), impl_->blob_meta, sha256);
  if (!meta && meta.error().code() == StatusCode::kNotFound) {
    return NotFoundError("no blob " + std::string(sha256));
  }
  return meta;
}

bool Store::HasBlob(std::string_view sha256) const {
  const auto read_guard = impl_->ReadGuard();
  return impl_->Exists(rocksdb::ReadOptions(), impl_->blob_meta, sha256);
}

Status Store::PutArticle(const proto::Article& article) {
  if (article.url().empty()) return InvalidArgumentError("an article needs a URL");
  Impl& im = *impl_;
  if (im.secondary || im.read_only) {
    return FailedPreconditionError("store " + im.path + " is open read-only here");
  }
  std::lock_guard<std::mutex> lock(im.write_mu);
  proto::StoreCounters counters = im.counters;
  rocksdb::WriteBatch batch;
  if (!im.Exists(rocksdb::ReadOptions(), im.articles, article.url())) {
    counters.set_articles(counters.articles() + 1);
    batch.Put(im.db->DefaultColumnFamily(),
              rocksdb::Slice(detail::kCountersKey.data(), detail::kCountersKey.size()),
              counters.SerializeAsString());
  }
  batch.Put(im.articles, article.url(), article.SerializeAsString());
  SP_RETURN_IF_ERROR(im.Rocks(im.db->Write(im.WriteOpts(), &batch)));
  im.counters = std::move(counters);
  return Status::Ok();
}

Result<proto::Article> Store::GetArticle(std::string_view url) const {
  const auto read_guard = impl_->ReadGuard();
  auto a = impl_->GetProto<proto::Article>(rocksdb::ReadOptions(), impl_->articles, url);
  if (!a && a.error().code() == StatusCode::kNotFound) {
    return NotFoundError("no article " + std::string(url) + " in the archive");
  }
  return a;
}

Result<std::string> Store::DidOfHandle(std::string_view handle) const {
  const auto read_guard = impl_->ReadGuard();
  std::string did;
  auto s =
      impl_->db->Get(rocksdb::ReadOptions(), impl_->indexes, detail::HandleIndexKey(handle), &did);
  if (s.IsNotFound()) {
    return NotFoundError("no archived Bluesky post by " + std::string(handle));
  }
  SP_RETURN_IF_ERROR(impl_->Rocks(s));
  return did;
}

Result<std::vector<std::string>> Store::PostsByPlatform(std::string_view platform, size_t limit,
                                                        std::string_view start_after) const {
  const auto read_guard = impl_->ReadGuard();
  const Impl& im = *impl_;
  const std::string prefix = std::string(platform) + "/";
  std::string end = prefix;
  end.back() = '/' + 1;
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> iter(im.db->NewIterator(ro, im.states));
  std::vector<std::string> out;
  iter->Seek(start_after.empty() ? rocksdb::Slice(prefix)
                                 : rocksdb::Slice(start_after.data(), start_after.size()));
  for (; iter->Valid() && out.size() < limit; iter->Next()) {
    std::string_view k(iter->key().data(), iter->key().size());
    if (k == start_after) continue;
    out.emplace_back(k);
  }
  SP_RETURN_IF_ERROR(im.Rocks(iter->status()));
  return out;
}

Result<std::vector<CaptureRef>> Store::RecentCaptures(size_t limit, UnixMicros before) const {
  const auto read_guard = impl_->ReadGuard();
  const Impl& im = *impl_;
  std::string lower(1, detail::kTimeIndex);
  std::string start = lower;
  detail::AppendBigEndian64(start, before > 0 ? static_cast<uint64_t>(before) : UINT64_MAX);
  rocksdb::Slice lower_slice(lower);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lower_slice;
  std::unique_ptr<rocksdb::Iterator> iter(im.db->NewIterator(ro, im.indexes));
  std::vector<CaptureRef> out;
  for (iter->SeekForPrev(start); iter->Valid() && out.size() < limit; iter->Prev()) {
    std::string_view k(iter->key().data(), iter->key().size());
    if (k.size() < 9 || k[0] != detail::kTimeIndex) break;
    CaptureRef ref;
    ref.captured_at = static_cast<UnixMicros>(detail::DecodeBigEndian64(k.substr(1, 8)));
    if (before > 0 && ref.captured_at >= before) continue;
    ref.key = std::string(k.substr(9));
    out.push_back(std::move(ref));
  }
  SP_RETURN_IF_ERROR(im.Rocks(iter->status()));
  return out;
}

StoreStats Store::Stats() const {
  StoreStats s;
  {
    std::lock_guard<std::mutex> lock(impl_->write_mu);
    s.posts = impl_->counters.posts();
    s.captures = impl_->counters.captures();
    s.blobs = impl_->counters.blobs();
    s.blob_bytes = impl_->counters.blob_bytes();
    s.articles = impl_->counters.articles();
    s.never_whole = impl_->counters.never_whole();
  }
  s.record_dictionary = impl_->codec.newest_dictionary();
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(impl_->path, ec)) {
    std::error_code size_ec;
    if (entry.is_regular_file(size_ec)) {
      const auto n = entry.file_size(size_ec);
      if (!size_ec) s.disk_bytes += n;
    }
  }
  return s;
}

Status Store::Flush() {
  Impl& im = *impl_;
  rocksdb::FlushOptions opts;
  opts.wait = true;
  return im.Rocks(im.db->Flush(opts, im.handles));
}

Status Store::Compact() {
  Impl& im = *impl_;
  SP_RETURN_IF_ERROR(Flush());
  rocksdb::CompactRangeOptions opts;
  opts.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (auto* h : im.handles) {
    SP_RETURN_IF_ERROR(im.Rocks(im.db->CompactRange(opts, h, nullptr, nullptr)));
  }
  return Status::Ok();
}

std::optional<proto::PostState> ArchivedState(const Store& store, const std::string& key) {
  auto s = store.State(key);
  if (!s) return std::nullopt;
  return std::move(*s);
}

Result<std::string> KeyOfRef(const Store& store, const PostRef& ref) {
  if (!ref.NeedsResolving()) return ref.key;
  auto did = store.DidOfHandle(ref.bsky_handle);
  if (!did) return did.error();
  return "bsky/" + *did + "/" + ref.bsky_rkey;
}

}  // namespace stillpost::archive
