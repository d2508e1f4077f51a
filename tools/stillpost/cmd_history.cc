#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <boost/algorithm/string/classification.hpp>
#include <boost/algorithm/string/join.hpp>
#include <boost/algorithm/string/split.hpp>
#include <boost/json/serialize.hpp>
#include <iostream>

#include "common/post_ref.h"
#include "common/time.h"
#include "common/web.h"
#include "embed/view_json.h"
#include "fetcher/archiver.h"
#include "tools/stillpost/commands.h"
#include "tools/stillpost/output.h"

namespace stillpost::cli {
namespace {

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  boost::algorithm::split(words, text, boost::algorithm::is_any_of(" \t\n"),
                          boost::algorithm::token_compress_on);
  words.erase(std::remove(words.begin(), words.end(), std::string()), words.end());
  return words;
}

std::string Join(const std::vector<std::string>& w, size_t from, size_t to) {
  return boost::algorithm::join(std::vector<std::string>(w.begin() + static_cast<ptrdiff_t>(from),
                                                         w.begin() + static_cast<ptrdiff_t>(to)),
                                " ");
}

// What an edit changed, one entry per part: the words of the text that changed (the common
// start and end kept out), media added and removed, the card, the quoted post, the poll.
boost::json::object EditChanges(const proto::Post& a, const proto::Post& b) {
  boost::json::object out;
  if (a.text() != b.text()) {
    const auto wa = Words(a.text()), wb = Words(b.text());
    size_t head = 0;
    while (head < wa.size() && head < wb.size() && wa[head] == wb[head]) ++head;
    size_t tail = 0;
    while (tail < wa.size() - head && tail < wb.size() - head &&
           wa[wa.size() - 1 - tail] == wb[wb.size() - 1 - tail]) {
      ++tail;
    }
    boost::json::object t;
    t["removed"] = ValidUtf8(Join(wa, head, wa.size() - tail));
    t["added"] = ValidUtf8(Join(wb, head, wb.size() - tail));
    out["text"] = std::move(t);
  }
  auto ids = [](const proto::Post& p) {
    std::vector<std::pair<std::string, std::string>> v;
    for (const auto& m : p.media()) {
      v.emplace_back(m.original_url().empty() ? m.blob() : m.original_url(),
                     MediaKindName(m.kind()));
    }
    return v;
  };
  const auto ma = ids(a), mb = ids(b);
  boost::json::array added, removed;
  for (const auto& m : mb) {
    if (std::find(ma.begin(), ma.end(), m) == ma.end())
      added.push_back(boost::json::string(m.second));
  }
  for (const auto& m : ma) {
    if (std::find(mb.begin(), mb.end(), m) == mb.end())
      removed.push_back(boost::json::string(m.second));
  }
  if (!added.empty() || !removed.empty()) {
    boost::json::object m;
    m["added"] = std::move(added);
    m["removed"] = std::move(removed);
    out["media"] = std::move(m);
  }
  if (a.card().url() != b.card().url() || a.card().title() != b.card().title() ||
      a.card().description() != b.card().description()) {
    boost::json::object c;
    if (!a.card().url().empty())
      c["before"] = ValidUtf8(a.card().title().empty() ? a.card().url() : a.card().title());
    if (!b.card().url().empty())
      c["after"] = ValidUtf8(b.card().title().empty() ? b.card().url() : b.card().title());
    out["card"] = std::move(c);
  }
  if (a.quoted_key() != b.quoted_key()) {
    boost::json::object q;
    if (!a.quoted_key().empty()) q["before"] = a.quoted_key();
    if (!b.quoted_key().empty()) q["after"] = b.quoted_key();
    out["quote"] = std::move(q);
  }
  if (a.poll().SerializeAsString() != b.poll().SerializeAsString()) out["poll"] = "changed";
  return out;
}

// One line for the changes of an edit: text "old words" → "new words"; +1 photo, -1 video; ...
std::string ChangesText(const boost::json::object& c) {
  std::string out;
  auto add = [&out](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
  if (const auto* t = c.if_contains("text")) {
    const auto& o = t->as_object();
    add("text \"" + Printable(o.at("removed").as_string()) + "\" \u2192 \"" +
        Printable(o.at("added").as_string()) + "\"");
  }
  if (const auto* m = c.if_contains("media")) {
    std::string part = "media";
    for (const auto& k : m->as_object().at("added").as_array())
      part += " +" + std::string(k.as_string());
    for (const auto& k : m->as_object().at("removed").as_array())
      part += " -" + std::string(k.as_string());
    add(part);
  }
  if (const auto* card = c.if_contains("card")) {
    const auto& o = card->as_object();
    add("card " +
        (o.contains("before") ? "\"" + Printable(o.at("before").as_string()) + "\"" : "none") +
        " \u2192 " +
        (o.contains("after") ? "\"" + Printable(o.at("after").as_string()) + "\"" : "none"));
  }
  if (const auto* q = c.if_contains("quote")) {
    const auto& o = q->as_object();
    add("quote " + (o.contains("before") ? std::string(o.at("before").as_string()) : "none") +
        " \u2192 " + (o.contains("after") ? std::string(o.at("after").as_string()) : "none"));
  }
  if (c.contains("poll")) add("poll changed");
  return out;
}

}  // namespace

int RunHistory(const GlobalOptions& global, const HistoryOptions& options) {
  auto ref = ParsePostRef(options.post);
  if (!ref) return UsageFail(ref.error().message());
  auto store = OpenStoreForReading(global);
  if (!store) return Fail(store.error());
  auto key = archive::KeyOfRef(**store, *ref);
  if (!key) return Fail(key.error());
  auto captures = (*store)->Captures(*key);
  if (!captures) return Fail(captures.error());
  boost::json::array list;
  std::string last_digest;
  const proto::Post* last_post = nullptr;
  bool last_partial = false;
  bool was_gone = false;
  bool first = true;
  for (const auto& c : *captures) {
    const std::string when =
        FormatRfc3339(google::protobuf::util::TimeUtil::TimestampToMicroseconds(c.captured_at()));
    std::string state, change;
    boost::json::object changes;
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
        if (last_post != nullptr) changes = EditChanges(*last_post, c.post());
      } else if (last_partial && !c.partial()) {
        change = "repaired (what was missing is archived now)";
      } else {
        change = "re-captured";
      }
      last_digest = digest;
      last_post = &c.post();
      last_partial = c.partial();
      was_gone = false;
    }
    first = false;
    if (global.json) {
      boost::json::object o;
      o["captured_at"] = when;
      o["state"] = c.has_tombstone() ? embed::CaptureWord(c) : state;
      o["change"] = change;
      if (c.http_status() != 0) o["http_status"] = c.http_status();
      if (c.has_tombstone() && !c.tombstone().upstream_text().empty()) {
        o["upstream_text"] = ValidUtf8(c.tombstone().upstream_text());
      }
      if (!changes.empty()) o["changes"] = std::move(changes);
      list.push_back(std::move(o));
    } else {
      std::cout << when << "  " << state << "  " << change;
      if (!changes.empty()) std::cout << ": " << ChangesText(changes);
      if (c.has_tombstone() && !c.tombstone().upstream_text().empty()) {
        std::cout << "  \"" << Printable(c.tombstone().upstream_text()) << "\"";
      }
      std::cout << '\n';
    }
  }
  if (global.json) {
    boost::json::object o;
    o["key"] = *key;
    o["captures"] = std::move(list);
    std::cout << boost::json::serialize(o) << '\n';
  }
  return kExitOk;
}

}  // namespace stillpost::cli
