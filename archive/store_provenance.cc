// The store's signing keys and its captures' signed manifests (archive/provenance.h).
#include <rocksdb/write_batch.h>

#include "archive/detail/store_impl.h"
#include "archive/provenance.h"
#include "common/crypto.h"
#include "proto/time.h"

namespace stillpost::archive {

namespace {

std::string SigningKeyKey(const proto::SigningKey& key) {
  std::string k(detail::kSigningKeyPrefix);
  detail::AppendBigEndian64(k, static_cast<uint64_t>(MicrosOf(key.valid_from())));
  k += key.id();
  return k;
}

Result<proto::SigningKey> NewKey() {
  SP_ASSIGN_OR_RETURN(KeyPair pair, GenerateP384Key());
  proto::SigningKey key;
  key.set_id(KeyIdOf(pair.public_spki));
  key.set_public_spki(std::move(pair.public_spki));
  key.set_private_pkcs8(std::move(pair.private_pkcs8));
  *key.mutable_valid_from() = proto::TimestampOf(NowMicros());
  key.set_origin("generated");
  return key;
}

}  // namespace

Result<std::vector<proto::SigningKey>> Store::Impl::ReadSigningKeys() const {
  std::vector<proto::SigningKey> keys;
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions(), db->DefaultColumnFamily()));
  const rocksdb::Slice prefix(detail::kSigningKeyPrefix.data(), detail::kSigningKeyPrefix.size());
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    proto::SigningKey key;
    if (!key.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return DataLossError("store " + path + ": unreadable signing key record");
    }
    keys.push_back(std::move(key));
  }
  SP_RETURN_IF_ERROR(Rocks(it->status()));
  return keys;
}

Status Store::Impl::EnsureSigningKey() {
  SP_ASSIGN_OR_RETURN(const auto keys, ReadSigningKeys());
  for (const auto& k : keys) {
    if (!k.has_valid_until() && !k.private_pkcs8().empty()) signing_key = k;
  }
  if (signing_key.has_value()) {
    SP_ASSIGN_OR_RETURN(signer, P384Signer::FromPkcs8(signing_key->private_pkcs8()));
    return Status::Ok();
  }
  if (read_only || secondary) return Status::Ok();
  SP_ASSIGN_OR_RETURN(proto::SigningKey key, NewKey());
  rocksdb::WriteBatch batch;
  batch.Put(db->DefaultColumnFamily(), SigningKeyKey(key), key.SerializeAsString());
  SP_RETURN_IF_ERROR(Rocks(db->Write(WriteOpts(), &batch)));
  SP_ASSIGN_OR_RETURN(signer, P384Signer::FromPkcs8(key.private_pkcs8()));
  signing_key = std::move(key);
  return Status::Ok();
}

Result<proto::SignedManifest> Store::Manifest(std::string_view key, UnixMicros at) const {
  const Impl& im = *impl_;
  const auto read_guard = im.ReadGuard();
  SP_RETURN_IF_ERROR(im.CheckOpen());
  if (im.provenance == nullptr) return NotFoundError("no manifest for " + std::string(key));
  auto m = im.GetProto<proto::SignedManifest>(rocksdb::ReadOptions(), im.provenance,
                                              detail::CaptureKey(key, at));
  if (!m && m.error().code() == StatusCode::kNotFound) {
    return NotFoundError("no manifest for the capture of " + std::string(key) + " at " +
                         FormatRfc3339(at));
  }
  return m;
}

Result<std::vector<proto::SigningKey>> Store::SigningKeys() const {
  const auto read_guard = impl_->ReadGuard();
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
  SP_ASSIGN_OR_RETURN(auto keys, impl_->ReadSigningKeys());
  for (auto& k : keys) k.clear_private_pkcs8();
  return keys;
}

Result<proto::SigningKey> Store::RotateSigningKey() {
  Impl& im = *impl_;
  SP_RETURN_IF_ERROR(im.CheckOpen());
  if (im.secondary || im.read_only) {
    return FailedPreconditionError("store " + im.path + " is open read-only here");
  }
  std::lock_guard<std::mutex> lock(im.write_mu);
  SP_ASSIGN_OR_RETURN(proto::SigningKey fresh, NewKey());
  rocksdb::WriteBatch batch;
  if (im.signing_key.has_value()) {
    proto::SigningKey old = *im.signing_key;
    *old.mutable_valid_until() = fresh.valid_from();
    batch.Put(im.db->DefaultColumnFamily(), SigningKeyKey(old), old.SerializeAsString());
  }
  batch.Put(im.db->DefaultColumnFamily(), SigningKeyKey(fresh), fresh.SerializeAsString());
  SP_ASSIGN_OR_RETURN(auto fresh_signer, P384Signer::FromPkcs8(fresh.private_pkcs8()));
  SP_RETURN_IF_ERROR(im.Rocks(im.db->Write(im.WriteOpts(), &batch)));
  im.signing_key = fresh;
  im.signer = std::move(fresh_signer);
  fresh.clear_private_pkcs8();
  return fresh;
}

Status Store::AddPublicKey(const proto::SigningKey& key) {
  Impl& im = *impl_;
  SP_RETURN_IF_ERROR(im.CheckOpen());
  if (im.secondary || im.read_only) {
    return FailedPreconditionError("store " + im.path + " is open read-only here");
  }
  if (key.id() != KeyIdOf(key.public_spki())) {
    return InvalidArgumentError("signing key " + key.id() + " does not match its public key");
  }
  std::lock_guard<std::mutex> lock(im.write_mu);
  SP_ASSIGN_OR_RETURN(const auto keys, im.ReadSigningKeys());
  for (const auto& k : keys) {
    if (k.id() == key.id()) return Status::Ok();
  }
  proto::SigningKey pub = key;
  pub.clear_private_pkcs8();
  rocksdb::WriteBatch batch;
  batch.Put(im.db->DefaultColumnFamily(), SigningKeyKey(pub), pub.SerializeAsString());
  return im.Rocks(im.db->Write(im.WriteOpts(), &batch));
}

Result<SignedDigest> Store::SignDigest(std::string_view message) const {
  Impl& im = *impl_;
  SP_RETURN_IF_ERROR(im.CheckOpen());
  std::optional<proto::SigningKey> key;
  std::shared_ptr<const P384Signer> signer;
  {
    std::lock_guard<std::mutex> lock(im.write_mu);
    key = im.signing_key;
    signer = im.signer;
  }
  if (!key.has_value() || !signer) {
    return FailedPreconditionError("store " + im.path +
                                   " has no signing key yet (open it once with serve or archive)");
  }
  SP_ASSIGN_OR_RETURN(const std::string raw, signer->Sign(message));
  SignedDigest out;
  out.signature = Base64Encode(raw);
  key->clear_private_pkcs8();
  out.key = std::move(*key);
  return out;
}

}  // namespace stillpost::archive
