#include "archive/serving.h"

#include "archive/detail/store_impl.h"

namespace stillpost::archive {

Result<StateAndLatest> ServingReader::StateForServing(std::string_view key) const {
  const Store::Impl& im = *store_.impl_;
  SP_RETURN_IF_ERROR(im.CheckOpen());
  const auto read_guard = im.ReadGuard();
  // Verified like every other read: with the checksum skipped, a flipped bit in a states block
  // was served as different text, links and media digests (docs/storage.md has the cost).
  rocksdb::ReadOptions ro;
  ro.verify_checksums = true;
  auto stored = im.ReadStoredState(ro, key, /*with_record=*/true);
  if (!stored) return stored.error();
  StateAndLatest out;
  out.state = std::move(stored->header);
  out.state.set_key(std::string(key));
  out.encoded = std::move(stored->record);
  return out;
}

Result<proto::Capture> ServingReader::DecodeLatest(const StateAndLatest& s) const {
  if (s.encoded.empty()) return NotFoundError(s.state.key() + " was never captured whole");
  return store_.impl_->DecodeRecord(s.encoded, s.state.key());
}

Result<const proto::Capture*> ServingReader::DecodeLatest(const StateAndLatest& s,
                                                          google::protobuf::Arena& arena) const {
  if (s.encoded.empty()) return NotFoundError(s.state.key() + " was never captured whole");
  auto* c = google::protobuf::Arena::CreateMessage<proto::Capture>(&arena);
  SP_RETURN_IF_ERROR(store_.impl_->DecodeRecordInto(s.encoded, s.state.key(), *c));
  return c;
}

}  // namespace stillpost::archive
