// How the store tunes RocksDB: options per column family, database options, and the one place
// a RocksDB status becomes ours. Measured with bench/store_bench (docs/storage.md). Private to
// archive/.
#pragma once

#include <rocksdb/cache.h>
#include <rocksdb/options.h>
#include <rocksdb/status.h>

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace stillpost::archive::detail {

// Translates a RocksDB status once, here. `path` names the store in messages. A held lock is
// Unavailable (another process has the store), corruption DataLoss, a full disk
// ResourceExhausted, anything unexpected Internal.
Status FromRocks(const rocksdb::Status& s, const std::string& path);

// The options of column family `name`; `cache` is the block cache shared by all of them.
rocksdb::ColumnFamilyOptions CfOptions(const std::string& name,
                                       const std::shared_ptr<rocksdb::Cache>& cache);
// Database options for every open (primary, read-only, secondary); callers add what differs.
rocksdb::DBOptions MakeDbOptions();
// Every column family a store has, the default one first.
const std::vector<std::string>& OurColumnFamilies();

}  // namespace stillpost::archive::detail
