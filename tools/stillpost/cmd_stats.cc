#include <boost/json/serialize.hpp>
#include <iostream>

#include "tools/stillpost/commands.h"
#include "tools/stillpost/output.h"

namespace stillpost::cli {

int RunStats(const GlobalOptions& global) {
  // Read only: a path with no store yet is an empty archive, and stays a path with nothing in it.
  auto store = OpenStoreForReading(global);
  if (!store && store.error().code() != StatusCode::kNotFound) return Fail(store.error());
  const archive::StoreStats s = store ? (*store)->Stats() : archive::StoreStats{};
  const std::string& path = store ? (*store)->path() : global.db;
  if (global.json) {
    boost::json::object o;
    o["store"] = path;
    o["posts"] = s.posts - s.never_whole;
    o["never_found"] = s.never_whole;
    o["captures"] = s.captures;
    o["articles"] = s.articles;
    o["blobs"] = s.blobs;
    o["blob_bytes"] = s.blob_bytes;
    o["disk_bytes"] = s.disk_bytes;
    o["record_dictionary"] = s.record_dictionary;
    std::cout << boost::json::serialize(o) << '\n';
    return kExitOk;
  }
  std::cout << "store     " << path << (store ? "" : " (none yet)") << '\n'
            << "posts     " << s.posts - s.never_whole
            << (s.never_whole > 0 ? " (and " + std::to_string(s.never_whole) +
                                        " never found whole: mistyped, or gone before capture)"
                                  : "")
            << '\n'
            << "captures  " << s.captures << '\n'
            << "articles  " << s.articles << '\n'
            << "blobs     " << s.blobs << " (" << HumanBytes(s.blob_bytes) << ")\n"
            << "on disk   " << HumanBytes(s.disk_bytes) << '\n';
  return kExitOk;
}

}  // namespace stillpost::cli
