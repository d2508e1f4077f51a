#include <google/protobuf/util/time_util.h>

#include <boost/algorithm/string/replace.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/post_key.h"
#include "common/post_ref.h"
#include "common/time.h"
#include "common/web.h"
#include "embed/view_json.h"
#include "fetcher/archiver.h"
#include "fetcher/article.h"
#include "fetcher/x/x.h"
#include "proto/time.h"
#include "tools/stillpost/commands.h"
#include "tools/stillpost/output.h"

namespace stillpost::cli {
namespace {

std::string TombstoneName(proto::Tombstone::Kind kind) {
  return std::string(fetcher::TombstoneKindName(kind));
}

// One line per capture: time, outcome.
std::string CaptureLine(const proto::Capture& c) {
  std::string line = proto::FormatTimestamp(c.captured_at()) + "  ";
  if (c.has_post()) {
    line += "post";
    if (c.partial()) line += " (partial: " + c.partial_reason() + ")";
  } else {
    line += TombstoneName(c.tombstone().kind());
    if (!c.tombstone().upstream_text().empty()) {
      line += ": \"" + Printable(c.tombstone().upstream_text()) + "\"";
    }
  }
  if (c.http_status() != 0) line += "  [HTTP " + std::to_string(c.http_status()) + "]";
  return line;
}

void PrintPost(const proto::Post& p, const std::string& indent) {
  std::cout << indent << Printable(p.author().display_name()) << " (@"
            << Printable(p.author().handle()) << ")";
  if (p.has_created_at()) std::cout << " · " << proto::FormatTimestamp(p.created_at());
  std::cout << '\n';
  if (!p.reply_to_key().empty()) std::cout << indent << "replying to " << p.reply_to_key() << '\n';
  std::cout << indent << Printable(p.text(), true) << '\n';
  for (const auto& m : p.media()) {
    std::cout << indent << "[" << MediaKindName(m.kind()) << " " << m.width() << "x" << m.height()
              << " " << Printable(m.mime()) << " " << (m.blob().empty() ? "not stored" : m.blob())
              << "]\n";
  }
  if (!p.card().url().empty()) {
    std::cout << indent << "[card: " << Printable(p.card().title()) << " — "
              << Printable(p.card().domain()) << "]\n";
  }
  if (p.has_quoted()) {
    std::cout << indent << "quoting " << p.quoted_key() << ":\n";
    PrintPost(p.quoted(), indent + "  ");
  } else if (!p.quoted_key().empty()) {
    std::cout << indent << "quoting " << p.quoted_key() << " (" << Printable(p.quoted_unavailable())
              << ")\n";
  }
}

// "not_found" -> "not found": a state word as text.
std::string StateText(const std::string& word) {
  return boost::algorithm::replace_all_copy(word, "_", " ");
}

// One line of a post list: key, state (and since when), author, the start of its text.
std::string SummaryLine(const boost::json::object& o) {
  std::string line = std::string(o.at("key").as_string());
  line += "  " + StateText(std::string(o.at("state").as_string()));
  if (const auto* since = o.if_contains("gone_since")) {
    line += " since " + std::string(since->as_string()).substr(0, 10);
  }
  if (const auto* author = o.if_contains("author")) line += "  @" + Printable(author->as_string());
  if (const auto* text = o.if_contains("text")) {
    line += "  \"" + Abbreviated(Printable(text->as_string()), 60) + "\"";
  }
  return line;
}

}  // namespace

Result<PostRef> RefOf(const std::string& input) {
  auto key = ParsePostKey(input);
  if (key || input.find("://") != std::string::npos || input.find('/') == std::string::npos) {
    return ParsePostRef(input);
  }
  return key.error();
}

Status AppendPostKeys(const archive::Store& store, std::string_view platform,
                      std::vector<std::string>& keys) {
  for (const char* p : {"x", "mastodon", "bsky"}) {
    if (!platform.empty() && platform != p) continue;
    std::string after;
    for (;;) {
      auto page = store.PostsByPlatform(p, 1000, after);
      if (!page) return page.error();
      if (page->empty()) break;
      keys.insert(keys.end(), page->begin(), page->end());
      after = page->back();
    }
  }
  return Status::Ok();
}

Result<proto::Article> FindArticle(const archive::Store& store, const std::string& input) {
  std::vector<std::string> tries = {input};
  std::error_code ec;
  const bool file =
      input.find("://") == std::string::npos && std::filesystem::is_regular_file(input, ec);
  if (file) {
    // Archived from this file: its record is under the file's URL, or under the canonical link
    // the file names.
    tries.push_back("file://" + std::filesystem::absolute(input).string());
    std::ifstream in(input, std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    const auto scanned = fetcher::ScanArticle(body.str(), tries.back(), {});
    tries.push_back(scanned.canonical_url);
  }
  for (const auto& url : tries) {
    auto a = store.GetArticle(url);
    if (a || a.error().code() != StatusCode::kNotFound) return a;
  }
  return NotFoundError("no archived article " + input +
                       (file ? " (archive it first: stillpost archive " + input + ")" : ""));
}

namespace {

// An article's posts and their states: the newsroom's question, which of my article's posts
// are gone?
int ShowArticle(const archive::Store& store, const std::string& input, bool json) {
  auto article = FindArticle(store, input);
  if (!article) return Fail(article.error());
  boost::json::object o = embed::ArticleJson(
      *article, [&store](const std::string& k) { return archive::ArchivedState(store, k); });
  if (json) {
    std::cout << boost::json::serialize(o) << '\n';
    return kExitOk;
  }
  std::cout << "article " << Printable(article->url());
  if (!article->title().empty()) std::cout << " (" << Printable(article->title()) << ")";
  std::cout << "\n" << Plural(static_cast<uint64_t>(article->post_keys_size()), "post");
  std::string counts;
  for (const auto& [word, n] : o["counts"].as_object()) {
    counts += (counts.empty() ? "" : ", ") + std::to_string(n.as_int64()) + " " +
              StateText(std::string(word));
  }
  std::cout << (counts.empty() ? "" : ": " + counts) << "; scanned "
            << proto::FormatTimestamp(article->scanned_at()) << "\n";
  for (const auto& p : o["posts"].as_array())
    std::cout << "  " << SummaryLine(p.as_object()) << '\n';
  return kExitOk;
}

}  // namespace

int RunShow(const GlobalOptions& global, const ShowOptions& options_in) {
  ShowOptions options = options_in;
  auto ref = RefOf(options.key);
  const bool article_input =
      !ref && (options.key.rfind("http://", 0) == 0 || options.key.rfind("https://", 0) == 0 ||
               std::filesystem::is_regular_file(options.key));
  if (!ref && !article_input) {
    return UsageFail(ref.error().message() + " (nor an archived article's URL or file)");
  }
  auto store = OpenStoreForReading(global);
  if (!store) return Fail(store.error());
  if (article_input) return ShowArticle(**store, options.key, global.json);
  auto key = archive::KeyOfRef(**store, *ref);
  if (!key) return Fail(key.error());
  options.key = *key;
  auto state = (*store)->State(options.key);
  if (!state) return Fail(state.error());
  auto captures = (*store)->Captures(options.key);
  if (!captures) return Fail(captures.error());

  if (global.json) {
    auto json = embed::ViewJson(embed::PostView(options.key, *state, *captures));
    if (!json) return Fail(json.error());
    std::cout << *json << '\n';
    return kExitOk;
  }

  const bool live = state->current() == proto::PostState::CURRENT_LIVE;
  std::cout << options.key << "  "
            << (live ? (state->has_latest_good() && state->latest_good().partial() ? "partial"
                                                                                   : "live")
                     : TombstoneName(state->gone_kind()) + " since " +
                           proto::FormatTimestamp(state->gone_since()))
            << "  (" << Plural(state->capture_count(), "capture") << ", first seen "
            << proto::FormatTimestamp(state->first_seen()) << ")\n";
  if (state->has_latest_good()) {
    const proto::Capture& c = state->latest_good();
    // The request URL carries long feature flags; up to the first '&' says where it came from.
    const std::string source = c.source_url().substr(0, c.source_url().find('&'));
    std::cout << "latest good capture " << proto::FormatTimestamp(c.captured_at()) << " from "
              << source << (c.partial() ? " (partial: " + Printable(c.partial_reason()) + ")" : "")
              << "\n\n";
    PrintPost(c.post(), "  ");
    std::cout << '\n';
  } else {
    std::cout << "never captured whole\n";
  }
  std::cout << "captures:\n";
  for (const auto& c : *captures) std::cout << "  " << CaptureLine(c) << '\n';
  return kExitOk;
}

int RunList(const GlobalOptions& global, const ListOptions& options) {
  auto store = OpenStoreForReading(global);
  if (!store && store.error().code() == StatusCode::kNotFound) return kExitOk;  // nothing yet
  if (!store) return Fail(store.error());
  std::vector<std::string> keys;
  if (!options.article.empty()) {
    auto article = FindArticle(**store, options.article);
    if (!article) return Fail(article.error());
    keys.assign(article->post_keys().begin(), article->post_keys().end());
  } else {
    if (Status s = AppendPostKeys(**store, options.platform, keys); !s.ok()) return Fail(s);
  }
  size_t shown = 0;
  for (const auto& key : keys) {
    if (!options.platform.empty() && key.rfind(options.platform + "/", 0) != 0) continue;
    auto state = (*store)->State(key);
    if (!state && state.error().code() == StatusCode::kNotFound) continue;
    if (!state) return Fail(state.error());
    boost::json::object o = embed::PostSummaryJson(key, *state);
    const std::string word(o["state"].as_string());
    // Posts only ever seen gone (a mistyped id) are known, not archived: listed on request.
    const bool never_whole = !state->has_latest_good_at();
    if (never_whole != (options.state == "never-found")) continue;
    if (!options.state.empty() && options.state != "never-found") {
      const std::string want = options.state == "not-found" ? "not_found" : options.state;
      // "gone": any way of being gone; "deleted" and the others: that one.
      const bool gone = state->current() == proto::PostState::CURRENT_GONE;
      if (want == "gone" ? !gone : want != word) continue;
    }
    ++shown;
    if (global.json) {
      std::cout << boost::json::serialize(o) << '\n';
    } else {
      std::cout << SummaryLine(o) << '\n';
    }
  }
  if (!global.json && shown == 0) std::cerr << "stillpost: no posts match\n";
  return kExitOk;
}

}  // namespace stillpost::cli
