// Writing the store: captures with their blobs (one atomic batch: the rules of
// detail/post_state.h applied to each post's state) and articles.
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <map>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "archive/detail/store_impl.h"
#include "archive/provenance.h"
#include "common/post_key.h"
#include "common/sha256.h"
#include "proto/time.h"

namespace stillpost::archive {

void AppendBlobRefs(const proto::Post& post, std::vector<BlobRef>& out) {
  auto add = [&out](const std::string& sha, const std::string& url) {
    if (!sha.empty()) out.push_back({sha, url});
  };
  add(post.author().avatar_blob(), post.author().avatar_url());
  for (const auto& e : post.author().name_entities()) add(e.target_blob(), e.target());
  for (const auto& m : post.media()) {
    add(m.blob(), m.original_url());
    add(m.poster_blob(), m.poster_url());
  }
  for (const auto& e : post.entities()) add(e.target_blob(), e.target());
  add(post.card().image_blob(), post.card().image_url());
  if (post.has_quoted()) AppendBlobRefs(post.quoted(), out);
  if (post.has_reply_to()) AppendBlobRefs(post.reply_to(), out);
}

using proto::MicrosOf;
namespace {

void CollectBlobRefs(const proto::Post& post, std::vector<std::string>& out) {
  std::vector<BlobRef> refs;
  AppendBlobRefs(post, refs);
  for (auto& r : refs) out.push_back(std::move(r.sha256));
}

}  // namespace

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
  // The manifest signed ahead, outside the write lock, chained to `signed_after` (the post's
  // chain head when the batch began). Used when that is still the head under the lock.
  bool presign = false;
  std::string signed_after;
  std::optional<proto::SignedManifest> manifest;
  Status status;
};

void Prepare(const detail::RecordCodec& codec, const CaptureWrite& w, Prepared& p) {
  if (auto parsed = ParsePostKey(w.key); !parsed) {
    p.status = parsed.error();
    return;
  }
  const Capture& capture = w.capture;
  if (!capture.has_captured_at() || MicrosOf(capture.captured_at()) <= 0) {
    p.status = InvalidArgumentError("capture of " + w.key + " has no captured_at");
    return;
  }
  if (capture.outcome_case() == Capture::OUTCOME_NOT_SET) {
    p.status = InvalidArgumentError("capture of " + w.key + " has neither a post nor a tombstone");
    return;
  }
  p.at = MicrosOf(capture.captured_at());
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
  p.status = codec.Encode(scratch, p.record);
}

// The signature is most of a capture's cost (ECDSA P-384, ~1 ms): made here, in parallel and
// outside the lock, when the chain head it links to is known.
void Presign(const CaptureWrite& w, const P384Signer* signer, const std::string& key_id,
             Prepared& p) {
  if (!p.presign || signer == nullptr || !p.status.ok()) return;
  auto m = SignManifest(BuildManifest(w.key, w.capture, p.signed_after), *signer, key_id);
  if (m) p.manifest = std::move(*m);  // else signed under the lock, which reports the error
}

// Below this many captures a batch is prepared on the calling thread alone.
constexpr size_t kParallelPrepareMin = 32;

}  // namespace

Result<AddResult> Store::AddCaptures(std::span<const CaptureWrite> writes) {
  Impl& im = *impl_;
  SP_RETURN_IF_ERROR(im.CheckOpen());
  if (im.secondary || im.read_only) {
    return FailedPreconditionError("store " + im.path + " is open read-only here");
  }
  std::vector<Prepared> prepared(writes.size());
  std::shared_ptr<const P384Signer> signer;
  std::string key_id;
  if (im.provenance != nullptr) {
    std::lock_guard<std::mutex> lock(im.write_mu);
    signer = im.signer;
    if (im.signing_key.has_value()) key_id = im.signing_key->id();
  }
  if (signer) {
    // Presign a post's capture when it is the batch's only one of that post (the usual case);
    // the others chain to each other and are signed under the lock.
    std::unordered_map<std::string_view, int> per_post;
    for (const CaptureWrite& w : writes) per_post[w.key]++;
    const rocksdb::ReadOptions ro;
    for (size_t i = 0; i < writes.size(); ++i) {
      if (writes[i].manifest.has_value() || per_post[writes[i].key] != 1) continue;
      auto head = im.ReadStoredState(ro, writes[i].key, /*with_record=*/false);
      if (!head && head.error().code() != StatusCode::kNotFound) continue;
      prepared[i].presign = true;
      if (head) prepared[i].signed_after = head->header.manifest_digest();
    }
  }
  auto prepare_range = [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      Prepare(im.codec, writes[i], prepared[i]);
      Presign(writes[i], signer.get(), key_id, prepared[i]);
    }
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
    // A capture at the exact time of an older one is a duplicate, not a reordering.
    if (header.capture_count() > 0 && t != MicrosOf(header.last_checked()) &&
        im.Exists(ro, im.captures, ckey)) {
      return AlreadyExistsError("a capture of " + key + " at " + FormatRfc3339(t) +
                                " is stored already");
    }
    // The rules (detail/post_state.h). `header` and `counters` are this batch's own copies: a
    // batch that fails at any point returns before writing, and they are dropped with it.
    const std::string previous_manifest = header.manifest_digest();
    detail::Observation seen;
    seen.at = capture.captured_at();
    seen.whole = capture.has_post();
    if (capture.has_tombstone()) seen.gone_kind = capture.tombstone().kind();
    SP_ASSIGN_OR_RETURN(const detail::Applied applied,
                        detail::ApplyCapture(key, seen, header, counters));

    // Provenance: the capture's manifest, chained to the post's previous one, signed.
    if (im.provenance != nullptr) {
      proto::SignedManifest manifest;
      if (w.manifest.has_value()) {
        manifest = *w.manifest;
      } else if (p.manifest.has_value() && p.signed_after == previous_manifest &&
                 p.manifest->key_id() == (im.signing_key ? im.signing_key->id() : "")) {
        manifest = std::move(*p.manifest);
      } else if (im.signing_key.has_value() && im.signer) {
        SP_ASSIGN_OR_RETURN(manifest, SignManifest(BuildManifest(key, capture, previous_manifest),
                                                   *im.signer, im.signing_key->id()));
      }
      if (!manifest.digest().empty()) {
        batch.Put(im.provenance, ckey, manifest.SerializeAsString());
        header.set_manifest_digest(manifest.digest());
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

    // The latest good capture lives beside the state (one read serves the embed path); its
    // slot in `captures` holds an empty marker until a newer good capture moves it there.
    if (applied.demote_previous && !state.record.empty()) {
      batch.Put(im.captures, detail::CaptureKey(key, applied.previous_latest_at), state.record);
    }
    if (applied.becomes_latest) {
      batch.Put(im.captures, ckey, rocksdb::Slice());
      state.record = std::move(p.record);
    } else {
      batch.Put(im.captures, ckey, p.record);
    }
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
    detail::CompactHeader(state.header);
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

Status Store::PutArticle(const proto::Article& article) {
  if (article.url().empty()) return InvalidArgumentError("an article needs a URL");
  Impl& im = *impl_;
  SP_RETURN_IF_ERROR(im.CheckOpen());
  if (im.secondary || im.read_only) {
    return FailedPreconditionError("store " + im.path + " is open read-only here");
  }
  std::lock_guard<std::mutex> lock(im.write_mu);
  proto::StoreCounters counters = im.counters;
  rocksdb::WriteBatch batch;
  const rocksdb::ReadOptions ro;
  auto before = im.GetProto<proto::Article>(ro, im.articles, article.url());
  if (!before && before.error().code() != StatusCode::kNotFound) return before.error();
  if (!before) {
    counters.set_articles(counters.articles() + 1);
    batch.Put(im.db->DefaultColumnFamily(),
              rocksdb::Slice(detail::kCountersKey.data(), detail::kCountersKey.size()),
              counters.SerializeAsString());
  } else {
    // A rescan that no longer names a post: the post no longer appears in this article.
    for (const auto& key : before->post_keys()) {
      if (std::find(article.post_keys().begin(), article.post_keys().end(), key) ==
          article.post_keys().end()) {
        batch.Delete(im.indexes, detail::ArticleIndexPrefix(key) + article.url());
      }
    }
  }
  im.IndexArticle(batch, article);
  batch.Put(im.articles, article.url(), article.SerializeAsString());
  SP_RETURN_IF_ERROR(im.Rocks(im.db->Write(im.WriteOpts(), &batch)));
  im.counters = std::move(counters);
  return Status::Ok();
}

// Index entries for the article's posts, keeping the time a post was first found in it.
void Store::Impl::IndexArticle(rocksdb::WriteBatch& batch, const proto::Article& article) {
  const UnixMicros scanned = article.has_scanned_at() ? proto::MicrosOf(article.scanned_at()) : 0;
  for (const auto& key : article.post_keys()) {
    const std::string index_key = detail::ArticleIndexPrefix(key) + article.url();
    if (Exists(rocksdb::ReadOptions(), indexes, index_key)) continue;
    std::string value;
    detail::AppendBigEndian64(value, static_cast<uint64_t>(scanned));
    batch.Put(indexes, index_key, value);
  }
}

Status Store::Impl::IndexArticlesOnce() {
  if (Exists(rocksdb::ReadOptions(), db->DefaultColumnFamily(),
             std::string(detail::kArticleIndexKey))) {
    return Status::Ok();
  }
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), articles));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    proto::Article article;
    if (!article.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      continue;  // unreadable: the article's own reads report it
    }
    IndexArticle(batch, article);
  }
  if (!it->status().ok()) return Rocks(it->status());
  batch.Put(db->DefaultColumnFamily(), std::string(detail::kArticleIndexKey), "1");
  rocksdb::WriteOptions w;
  w.sync = true;
  return Rocks(db->Write(w, &batch));
}

}  // namespace stillpost::archive

namespace stillpost::archive {

Status Store::WriteService(std::span<const ServiceWrite> writes, Records records, bool sync) {
  Impl& im = *impl_;
  SP_RETURN_IF_ERROR(im.CheckOpen());
  rocksdb::ColumnFamilyHandle* cf = im.RecordsCf(records);
  if (im.secondary || im.read_only || cf == nullptr) {
    return FailedPreconditionError("store " + im.path + " is open read-only here");
  }
  rocksdb::WriteBatch batch;
  for (const auto& w : writes) {
    if (w.key.empty()) return InvalidArgumentError("a service record needs a key");
    if (w.erase) {
      batch.Delete(cf, w.key);
    } else {
      batch.Put(cf, w.key, w.value);
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;  // service records say what was promised (a job accepted): durable
  return im.Rocks(im.db->Write(wo, &batch));
}

}  // namespace stillpost::archive
