#include <google/protobuf/util/time_util.h>

#include <boost/json/serialize.hpp>
#include <iostream>

#include "common/post_ref.h"
#include "common/time.h"
#include "fetcher/archiver.h"
#include "tools/stillpost/commands.h"
#include "tools/stillpost/output.h"

namespace stillpost::cli {

int RunHistory(const GlobalOptions& global, const HistoryOptions& options) {
  auto ref = ParsePostRef(options.post);
  if (!ref) {
    std::cerr << "stillpost: " << ref.error().message() << '\n';
    return kExitUsage;
  }
  auto store = OpenStoreForReading(global);
  if (!store) return Fail(store.error());
  auto key = archive::KeyOfRef(**store, *ref);
  if (!key) return Fail(key.error());
  auto captures = (*store)->Captures(*key);
  if (!captures) return Fail(captures.error());
  boost::json::array list;
  std::string last_digest;
  bool was_gone = false;
  bool first = true;
  for (const auto& c : *captures) {
    const std::string when =
        FormatRfc3339(google::protobuf::util::TimeUtil::TimestampToMicroseconds(c.captured_at()));
    std::string state, change;
    if (c.has_tombstone()) {
      state = std::string(fetcher::TombstoneKindName(c.tombstone().kind()));
      change = first ? "first seen gone" : (was_gone ? "still gone" : state);
      was_gone = true;
    } else {
      state = c.partial() ? "partial" : "live";
      const std::string digest = c.content_digest();
      if (first) {
        change = "first capture";
      } else if (was_gone) {
        change = "restored";
      } else if (!digest.empty() && !last_digest.empty() && digest != last_digest) {
        change = "edited";
      } else {
        change = "re-captured";
      }
      last_digest = digest;
      was_gone = false;
    }
    first = false;
    if (options.json) {
      boost::json::object o;
      o["captured_at"] = when;
      o["state"] = state;
      o["change"] = change;
      o["http_status"] = c.http_status();
      if (c.has_tombstone()) o["upstream_text"] = c.tombstone().upstream_text();
      list.push_back(std::move(o));
    } else {
      std::cout << when << "  " << state << "  " << change;
      if (c.has_tombstone() && !c.tombstone().upstream_text().empty()) {
        std::cout << "  \"" << Printable(c.tombstone().upstream_text()) << "\"";
      }
      std::cout << '\n';
    }
  }
  if (options.json) {
    boost::json::object o;
    o["key"] = *key;
    o["captures"] = std::move(list);
    std::cout << boost::json::serialize(o) << '\n';
  }
  return kExitOk;
}

}  // namespace stillpost::cli
