// The record dictionary: trained once from the store's own posts (zstd's trainer), stored in
// the default column family, loaded at every open. Records keep the id of the dictionary they
// were compressed with; a store without one reads and writes plain zstd.
#include "archive/detail/store_impl.h"

namespace stillpost::archive {
namespace {

// The record dictionary is trained once the store has this many posts, from this many of them.
constexpr uint64_t kTrainAfterPosts = 4000;
constexpr size_t kTrainSamples = 4000;
constexpr size_t kDictBytes = 64 << 10;
constexpr std::string_view kDictKeyPrefix = "stillpost/dict/";

}  // namespace

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

}  // namespace stillpost::archive
