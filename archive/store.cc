#include "archive/store.h"

#include <rocksdb/cache.h>
#include <rocksdb/write_batch.h>

#include <filesystem>

#include "archive/detail/store_impl.h"

namespace stillpost::archive {

namespace fs = std::filesystem;
using detail::CfOptions;
using detail::MakeDbOptions;
using detail::OurColumnFamilies;

Blob::Blob() : rep_(std::make_unique<Rep>()) {}
Blob::~Blob() = default;
Blob::Blob(Blob&&) noexcept = default;
Blob& Blob::operator=(Blob&&) noexcept = default;
std::string_view Blob::data() const { return {rep_->value.data(), rep_->value.size()}; }

// ---------------------------------------------------------------------------------------------

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;
Status Store::Close() { return impl_->Close(); }
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
      static_cast<void>(Close());  // the format error is the one to report
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
  SP_RETURN_IF_ERROR(impl->EnsureSigningKey());  // reads it only: an export signs with it
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
  SP_RETURN_IF_ERROR(impl->IndexArticlesOnce());
  SP_RETURN_IF_ERROR(impl->EnsureSigningKey());
  return std::unique_ptr<Store>(new Store(std::move(impl)));
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
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
  Impl& im = *impl_;
  rocksdb::FlushOptions opts;
  opts.wait = true;
  return im.Rocks(im.db->Flush(opts, im.handles));
}

Status Store::Compact() {
  SP_RETURN_IF_ERROR(impl_->CheckOpen());
  Impl& im = *impl_;
  SP_RETURN_IF_ERROR(Flush());
  rocksdb::CompactRangeOptions opts;
  opts.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (auto* h : im.handles) {
    SP_RETURN_IF_ERROR(im.Rocks(im.db->CompactRange(opts, h, nullptr, nullptr)));
  }
  return Status::Ok();
}

}  // namespace stillpost::archive
