#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <boost/algorithm/string/classification.hpp>
#include <boost/algorithm/string/join.hpp>
#include <boost/algorithm/string/split.hpp>
#include <iostream>

#include "common/post_ref.h"
#include "common/time.h"
#include "common/web.h"
#include "embed/view_json.h"
#include "fetcher/archiver.h"
#include "proto/time.h"
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
// Nothing set when nothing shown changed.
proto::PostView::Changes EditChanges(const proto::Post& a, const proto::Post& b) {
  proto::PostView::Changes out;
  if (a.text() != b.text()) {
    const auto wa = Words(a.text()), wb = Words(b.text());
    size_t head = 0;
    while (head < wa.size() && head < wb.size() && wa[head] == wb[head]) ++head;
    size_t tail = 0;
    while (tail < wa.size() - head && tail < wb.size() - head &&
           wa[wa.size() - 1 - tail] == wb[wb.size() - 1 - tail]) {
      ++tail;
    }
    out.mutable_text()->set_removed(ValidUtf8(Join(wa, head, wa.size() - tail)));
    out.mutable_text()->set_added(ValidUtf8(Join(wb, head, wb.size() - tail)));
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
  for (const auto& m : mb) {
    if (std::find(ma.begin(), ma.end(), m) == ma.end()) out.mutable_media()->add_added(m.second);
  }
  for (const auto& m : ma) {
    if (std::find(mb.begin(), mb.end(), m) == mb.end()) out.mutable_media()->add_removed(m.second);
  }
  if (a.card().url() != b.card().url() || a.card().title() != b.card().title() ||
      a.card().description() != b.card().description()) {
    auto* c = out.mutable_card();
    if (!a.card().url().empty()) {
      c->set_before(ValidUtf8(a.card().title().empty() ? a.card().url() : a.card().title()));
    }
    if (!b.card().url().empty()) {
      c->set_after(ValidUtf8(b.card().title().empty() ? b.card().url() : b.card().title()));
    }
  }
  if (a.quoted_key() != b.quoted_key()) {
    auto* q = out.mutable_quote();
    if (!a.quoted_key().empty()) q->set_before(a.quoted_key());
    if (!b.quoted_key().empty()) q->set_after(b.quoted_key());
  }
  if (a.poll().SerializeAsString() != b.poll().SerializeAsString()) out.set_poll_changed(true);
  return out;
}

// One line for the changes of an edit: text "old words" → "new words"; media +photo -video; ...
std::string ChangesText(const proto::PostView::Changes& c) {
  std::string out;
  auto add = [&out](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
  if (c.has_text()) {
    add("text \"" + Printable(c.text().removed()) + "\" \u2192 \"" + Printable(c.text().added()) +
        "\"");
  }
  if (c.has_media()) {
    std::string part = "media";
    for (const auto& k : c.media().added()) part += " +" + k;
    for (const auto& k : c.media().removed()) part += " -" + k;
    add(part);
  }
  if (c.has_card()) {
    const auto& o = c.card();
    add("card " + (o.has_before() ? "\"" + Printable(o.before()) + "\"" : "none") + " \u2192 " +
        (o.has_after() ? "\"" + Printable(o.after()) + "\"" : "none"));
  }
  if (c.has_quote()) {
    const auto& o = c.quote();
    add("quote " + (o.has_before() ? o.before() : "none") + " \u2192 " +
        (o.has_after() ? o.after() : "none"));
  }
  if (c.poll_changed()) add("poll changed");
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
  proto::PostView view;
  view.set_key(*key);
  std::string last_digest;
  const proto::Post* last_post = nullptr;
  bool last_partial = false;
  bool was_gone = false;
  bool first = true;
  for (const auto& c : *captures) {
    std::string state, change;
    proto::PostView::Changes changes;
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
    auto* line = view.add_captures();
    *line->mutable_captured_at() = c.captured_at();
    line->set_state(c.has_tombstone() ? embed::CaptureWord(c) : state);
    line->set_change(change);
    if (c.http_status() != 0) line->set_http_status(c.http_status());
    if (c.has_tombstone() && !c.tombstone().upstream_text().empty()) {
      line->set_upstream_text(ValidUtf8(c.tombstone().upstream_text()));
    }
    if (changes.ByteSizeLong() > 0) *line->mutable_changes() = std::move(changes);
    if (!global.json) {
      std::cout << proto::FormatTimestamp(c.captured_at()) << "  " << state << "  " << change;
      if (line->has_changes()) std::cout << ": " << ChangesText(line->changes());
      if (line->has_upstream_text())
        std::cout << "  \"" << Printable(line->upstream_text()) << "\"";
      std::cout << '\n';
    }
  }
  if (global.json) {
    auto json = embed::ViewJson(view);
    if (!json) return Fail(json.error());
    std::cout << *json << '\n';
  }
  return kExitOk;
}

}  // namespace stillpost::cli
