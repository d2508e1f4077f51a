// Reading the store: states, captures, blobs, articles and the indexes. Reads share the
// secondary's catch-up lock (store_impl.h) and never take the write lock.
#include <rocksdb/slice.h>

#include "archive/detail/store_impl.h"
#include "common/sha256.h"

namespace stillpost::archive {

Result<proto::Capture> Store::LatestGood(std::string_view key) const {
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
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
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
  const auto read_guard = impl_->ReadGuard();
  return impl_->ReadState(rocksdb::ReadOptions(), key);
}

Result<proto::PostState> Store::StateSummary(std::string_view key) const {
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
  const auto read_guard = impl_->ReadGuard();
  SP_ASSIGN_OR_RETURN(Impl::StoredState stored,
                      impl_->ReadStoredState(rocksdb::ReadOptions(), key, /*with_record=*/false));
  stored.header.set_key(std::string(key));
  return std::move(stored.header);
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
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
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
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
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
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
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

Result<Blob> Store::GetBlob(std::string_view sha256, const proto::BlobMeta* known) const {
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
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
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
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
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
  const auto read_guard = impl_->ReadGuard();
  if (!IsSha256Hex(sha256)) return InvalidArgumentError("malformed blob digest");
  auto meta = impl_->GetProto<proto::BlobMeta>(rocksdb::ReadOptions(), impl_->blob_meta, sha256);
  if (!meta && meta.error().code() == StatusCode::kNotFound) {
    return NotFoundError("no blob " + std::string(sha256));
  }
  return meta;
}

bool Store::HasBlob(std::string_view sha256) const {
  if (!impl_->CheckOpen().ok()) return false;
  const auto read_guard = impl_->ReadGuard();
  return impl_->Exists(rocksdb::ReadOptions(), impl_->blob_meta, sha256);
}

Result<proto::Article> Store::GetArticle(std::string_view url) const {
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
  const auto read_guard = impl_->ReadGuard();
  auto a = impl_->GetProto<proto::Article>(rocksdb::ReadOptions(), impl_->articles, url);
  if (!a && a.error().code() == StatusCode::kNotFound) {
    return NotFoundError("no article " + std::string(url) + " in the archive");
  }
  return a;
}

Result<std::vector<std::string>> Store::ArticleUrls(size_t limit,
                                                    std::string_view start_after) const {
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
  const auto read_guard = impl_->ReadGuard();
  std::vector<std::string> urls;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->articles));
  if (start_after.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(rocksdb::Slice(start_after.data(), start_after.size()));
    if (it->Valid() && it->key() == rocksdb::Slice(start_after.data(), start_after.size())) {
      it->Next();
    }
  }
  for (; it->Valid() && urls.size() < limit; it->Next()) urls.push_back(it->key().ToString());
  SP_RETURN_IF_ERROR(impl_->Rocks(it->status()));
  return urls;
}

Result<std::string> Store::DidOfHandle(std::string_view handle) const {
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
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
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
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
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
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

std::optional<proto::PostState> ArchivedState(const Store& store, const std::string& key) {
  auto s = store.State(key);
  if (!s) return std::nullopt;
  return std::move(*s);
}

Result<std::string> KeyOfRef(const Store& store, const PostRef& ref) {
  if (!ref.NeedsResolving()) return ref.key;
  SP_ASSIGN_OR_RETURN(const std::string did, store.DidOfHandle(ref.bsky_handle));
  return "bsky/" + did + "/" + ref.bsky_rkey;
}

}  // namespace stillpost::archive

namespace stillpost::archive {

Result<std::string> Store::GetService(std::string_view key, Records records) const {
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
  const auto read_guard = impl_->ReadGuard();
  rocksdb::ColumnFamilyHandle* cf = impl_->RecordsCf(records);
  if (cf == nullptr) return NotFoundError(std::string(key));
  std::string value;
  rocksdb::Status s =
      impl_->db->Get(rocksdb::ReadOptions(), cf, rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return NotFoundError(std::string(key));
  if (!s.ok()) return impl_->Rocks(s);
  return value;
}

Result<std::vector<std::pair<std::string, std::string>>> Store::ScanService(
    std::string_view prefix, size_t limit, std::string_view start_after, Records records) const {
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
  const auto read_guard = impl_->ReadGuard();
  std::vector<std::pair<std::string, std::string>> out;
  rocksdb::ColumnFamilyHandle* cf = impl_->RecordsCf(records);
  if (cf == nullptr) return out;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions(), cf));
  const std::string_view from = start_after.empty() ? prefix : start_after;
  it->Seek(rocksdb::Slice(from.data(), from.size()));
  if (!start_after.empty() && it->Valid() && it->key().ToStringView() == start_after) it->Next();
  for (; it->Valid() && out.size() < limit; it->Next()) {
    const std::string_view k = it->key().ToStringView();
    if (!k.starts_with(prefix)) break;
    out.emplace_back(std::string(k), it->value().ToString());
  }
  if (!it->status().ok()) return impl_->Rocks(it->status());
  return out;
}

Result<std::vector<ArticleRef>> Store::ArticlesOf(std::string_view post_key) const {
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
  const auto read_guard = impl_->ReadGuard();
  const std::string prefix = detail::ArticleIndexPrefix(post_key);
  std::vector<ArticleRef> out;
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->indexes));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    ArticleRef ref;
    ref.url = it->key().ToString().substr(prefix.size());
    ref.first_seen = static_cast<UnixMicros>(detail::DecodeBigEndian64(it->value().ToStringView()));
    out.push_back(std::move(ref));
  }
  if (!it->status().ok()) return impl_->Rocks(it->status());
  return out;
}

}  // namespace stillpost::archive
