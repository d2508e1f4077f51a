#include "archive/detail/rocks_tuning.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include "archive/detail/keys.h"

namespace stillpost::archive::detail {
namespace {

// Tuning, measured with bench/store_bench (see docs/storage.md).
constexpr size_t kRecordBlockSize = 4 << 10;        // states, captures: values are pre-compressed
constexpr size_t kBlockSize = 16 << 10;             // everything else, zstd by RocksDB
constexpr double kBloomBitsPerKey = 10.0;           // ~1% false positives
constexpr uint64_t kMinBlobFileValue = 16 << 10;    // blobs at least this large go to blob files
constexpr int kMaxBackgroundJobs = 2;               // the machines we run on have 2 cores
constexpr size_t kWriteBufferBytes = 128 << 20;     // fewer, larger L0 files during bulk ingest
constexpr size_t kBlobWriteBufferBytes = 32 << 20;  // media: flushed to blob files sooner
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

}  // namespace

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
                                                 detail::kCfIndexes,
                                                 detail::kCfService,
                                                 detail::kCfSchedule,
                                                 detail::kCfProvenance};
  return names;
}

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

}  // namespace stillpost::archive::detail
