// The store as a follower of another process's: a RocksDB secondary instance for states,
// captures and indexes, and a read-only instance for blobs (store_impl.h says why), with the
// workarounds RocksDB 7.8's secondary needs. docs/storage.md has the measurements.
#include <filesystem>
#include <fstream>

#include "archive/detail/store_impl.h"

namespace stillpost::archive {

namespace fs = std::filesystem;

std::string Store::Impl::PrimarySignature() const {
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

Result<std::shared_ptr<BlobReader>> Store::Impl::OpenBlobReader() const {
  std::vector<std::string> existing;
  SP_RETURN_IF_ERROR(Rocks(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &existing)));
  auto cache = rocksdb::NewLRUCache(1 << 20);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : existing) descriptors.emplace_back(name, detail::CfOptions(name, cache));
  auto reader = std::make_shared<BlobReader>();
  rocksdb::DB* raw = nullptr;
  SP_RETURN_IF_ERROR(Rocks(rocksdb::DB::OpenForReadOnly(detail::MakeDbOptions(), path, descriptors,
                                                        &reader->handles, &raw)));
  reader->db.reset(raw);
  for (auto* h : reader->handles) {
    if (h->GetName() == detail::kCfBlobs) reader->blobs = h;
  }
  if (reader->blobs == nullptr) return DataLossError("store " + path + " has no blobs");
  return reader;
}

Result<std::shared_ptr<BlobReader>> Store::Impl::CurrentBlobReader(bool refresh) const {
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

namespace {

// The MANIFEST file the primary's CURRENT names ("MANIFEST-000042"); empty when unreadable.
std::string CurrentManifest(const std::string& path) {
  std::ifstream in(fs::path(path) / "CURRENT");
  std::string name;
  std::getline(in, name);
  return name;
}

}  // namespace

Status Store::Impl::OpenSecondaryInstance() {
  std::vector<std::string> existing;
  SP_RETURN_IF_ERROR(Rocks(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &existing)));
  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : existing) descriptors.emplace_back(name, detail::CfOptions(name, cache));
  rocksdb::DBOptions dbo = detail::MakeDbOptions();
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
  SP_RETURN_IF_ERROR(im.CheckOpen());
  if (!im.secondary) return Status::Ok();
  std::string signature = im.PrimarySignature();
  // Directory listings order entries arbitrarily but stably; an unchanged listing is unchanged.
  if (!signature.empty() && signature == im.primary_signature) return Status::Ok();
  {
    std::unique_lock<std::shared_mutex> hold(im.catch_up_mu);
    const std::string manifest = CurrentManifest(im.path);
    if (!manifest.empty() && manifest != im.primary_manifest) {
      // The primary was opened again since: start from what it recovered, not from our replay.
      SP_RETURN_IF_ERROR(im.Close());
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

}  // namespace stillpost::archive
