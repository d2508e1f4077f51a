#include <google/protobuf/util/time_util.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "common/post_key.h"
#include "common/post_ref.h"
#include "common/time.h"
#include "common/web.h"
#include "fetcher/archiver.h"
#include "fetcher/article.h"
#include "fetcher/page.h"
#include "fetcher/x/x.h"
#include "proto/time.h"
#include "tools/stillpost/commands.h"
#include "tools/stillpost/output.h"

namespace stillpost::cli {
namespace {

// Inputs as given: arguments, then the lines of --from (blank lines and # comments skipped).
Result<std::vector<std::string>> Inputs(const ArchiveOptions& options) {
  std::vector<std::string> inputs = options.posts;
  if (!options.from.empty()) {
    std::ifstream file;
    if (options.from != "-") {
      file.open(options.from);
      if (!file) return NotFoundError("cannot read " + options.from);
    }
    std::istream& in = options.from == "-" ? std::cin : file;
    std::string line;
    while (std::getline(in, line)) {
      const size_t start = line.find_first_not_of(" \t\r");
      if (start == std::string::npos || line[start] == '#') continue;
      inputs.push_back(line.substr(start, line.find_last_not_of(" \t\r") - start + 1));
    }
  }
  return inputs;
}

}  // namespace

Result<std::pair<std::string, std::string>> LoadPage(const std::string& input,
                                                     const fetcher::HttpOptions& http) {
  if (input == "-") {
    std::ostringstream body;
    body << std::cin.rdbuf();
    return std::make_pair(body.str(), std::string());
  }
  if (!IsHttpUrl(input)) {
    std::ifstream in(input, std::ios::binary);
    if (!in) return NotFoundError("cannot read " + input);
    std::ostringstream body;
    body << in.rdbuf();
    return std::make_pair(body.str(), "file://" + std::filesystem::absolute(input).string());
  }
  auto page = fetcher::FetchPage(input, http);
  if (!page) return page.error();
  return std::make_pair(std::move(page->html), std::move(page->url));
}

int RunArchive(const GlobalOptions& global, const ArchiveOptions& options) {
  auto inputs = Inputs(options);
  if (!inputs) return Fail(inputs.error());
  if (inputs->empty()) {
    return UsageFail(
        "archive needs a post (URL, key or X id), an article (URL or .html file), or --from FILE");
  }
  auto http = HttpOptionsFrom(options.fetch);
  if (!http) return UsageFail(http.error().message());
  // Posts named directly, and articles whose posts are found by scanning them.
  std::vector<PostRef> refs;
  auto add_ref = [&refs](const PostRef& ref) {
    for (size_t i = 0; i < refs.size(); ++i) {
      if (refs[i].key == ref.key && refs[i].bsky_handle == ref.bsky_handle &&
          refs[i].bsky_rkey == ref.bsky_rkey) {
        return i;
      }
    }
    refs.push_back(ref);
    return refs.size() - 1;
  };
  std::vector<proto::Article> articles;
  std::vector<std::vector<size_t>> article_refs;  // per article: indexes into refs
  std::vector<fetcher::FoundPost> found;
  for (const auto& input : *inputs) {
    auto ref = ParsePostRef(input, options.fetch.nitter_hosts);
    if (ref) {
      add_ref(*ref);
      continue;
    }
    const bool file = !IsHttpUrl(input) && std::filesystem::is_regular_file(input);
    // A page on X or Bluesky that is not a post (a profile, a hashtag, a share link) is no
    // article either.
    auto url = boost::urls::parse_uri(input);
    const bool on_platform =
        IsHttpUrl(input) && url &&
        (IsXHost(url->host(), options.fetch.nitter_hosts) || IsBlueskyHost(url->host()));
    if ((!file && !IsHttpUrl(input)) || on_platform) {
      return UsageFail(ref.error().message() +
                       (on_platform ? "" : " (nor an article URL or file)"));
    }
    auto page = LoadPage(input, *http);
    if (!page) return Fail(page.error());
    fetcher::ScanOptions scan;
    scan.nitter_hosts = options.fetch.nitter_hosts;
    scan.whole_page = options.whole_page;
    const auto scanned = fetcher::ScanArticle(page->first, page->second, scan);
    proto::Article article;
    article.set_url(scanned.canonical_url);
    article.set_fetched_url(page->second);
    article.set_title(scanned.title);
    article.set_scope(scanned.scope);
    article.set_scope_path(scanned.scope_path);
    *article.mutable_scanned_at() = proto::TimestampOf(NowMicros());
    std::vector<size_t> indexes;
    for (const auto& p : scanned.posts) {
      found.push_back(p);
      indexes.push_back(add_ref(p.ref));
    }
    if (!global.json) {
      std::cout << "article " << Printable(scanned.canonical_url)
                << (scanned.title.empty() ? "" : " (" + Printable(scanned.title) + ")") << ": "
                << Plural(scanned.posts.size(), "post");
      if (options.dry_run) {
        std::cout << ", scanned " << scanned.scope
                  << (scanned.scope_path.empty() ? "" : " " + Printable(scanned.scope_path));
      }
      std::cout << '\n';
    }
    articles.push_back(std::move(article));
    article_refs.push_back(std::move(indexes));
  }
  if (options.dry_run) {
    for (const auto& p : found) {
      const std::string key = p.key.empty() ? "(handle " + p.ref.bsky_handle + ")" : p.key;
      if (global.json) {
        boost::json::object j;
        j["key"] = p.key;
        j["url"] = p.url;
        j["found_as"] = p.found_as;
        if (p.ref.NeedsResolving()) j["resolve"] = p.ref.bsky_handle;
        if (p.ref.unverified) j["unverified"] = true;
        std::cout << boost::json::serialize(j) << '\n';
      } else {
        std::cout << Printable(key) << "  " << p.found_as << "  " << Printable(p.url)
                  << (p.ref.unverified ? "  (unverified: is this host a Mastodon server?)" : "")
                  << '\n';
      }
    }
    return kExitOk;
  }
  auto store = OpenStore(global, /*create=*/true);
  if (!store) return Fail(store.error());
  std::vector<fetcher::PostOutcome> outcomes;
  const int code = ArchiveRefs(**store, refs, std::move(*http), options.fetch, global.json,
                               /*only_if_changed=*/!options.force, /*recheck=*/false, &outcomes);
  // Articles list their posts by key: the keys the archive run found (handles resolved, boosts
  // followed). A post whose key could not be found is left out, and the failure was reported.
  for (size_t a = 0; a < articles.size(); ++a) {
    for (size_t i : article_refs[a]) {
      if (i < outcomes.size() && outcomes[i].kind != fetcher::PostOutcome::Kind::kNotAPost &&
          ParsePostKey(outcomes[i].key)) {
        articles[a].add_post_keys(outcomes[i].key);
      }
    }
    if (Status s = (*store)->PutArticle(articles[a]); !s.ok()) return Fail(s);
  }
  return code;
}

int ArchiveRefs(archive::Store& store, const std::vector<PostRef>& ids, fetcher::HttpOptions http,
                const FetchFlags& fetch, bool json, bool only_if_changed, bool recheck,
                std::vector<fetcher::PostOutcome>* outcomes_out) {
  fetcher::ArchiveOptions archive_options = ArchiveOptionsFrom(fetch, std::move(http));
  archive_options.only_if_changed = only_if_changed;
  fetcher::Archiver archiver(store, std::move(archive_options));
  size_t captured = 0, partial = 0, gone = 0, failed = 0, unchanged = 0, not_posts = 0, media = 0;
  uint64_t bytes = 0;
  // On a terminal, a progress line on stderr under the per-post lines; elsewhere just the lines.
  const bool progress = isatty(STDERR_FILENO) == 1 && ids.size() > 1;
  auto report = [&](const fetcher::PostOutcome& o) {
    if (progress) std::cerr << "\r\033[K" << std::flush;
    switch (o.kind) {
      case fetcher::PostOutcome::Kind::kCaptured:
        ++(o.partial ? partial : captured);
        break;
      case fetcher::PostOutcome::Kind::kGone:
        ++gone;
        break;
      case fetcher::PostOutcome::Kind::kFailed:
        ++failed;
        break;
      case fetcher::PostOutcome::Kind::kUnchanged:
        ++unchanged;
        break;
      case fetcher::PostOutcome::Kind::kNotAPost:
        ++not_posts;
        break;
    }
    media += static_cast<size_t>(o.media);
    bytes += o.bytes_stored;
    if (json) {
      boost::json::object j;
      j["key"] = o.key;
      j["outcome"] = fetcher::OutcomeName(o);
      j["files"] = o.media;
      j["bytes"] = o.bytes_stored;
      if (!o.transition.empty()) j["transition"] = o.transition;
      if (!o.detail.empty()) j["detail"] = o.detail;
      std::cout << boost::json::serialize(j) << std::endl;
      return;
    }
    std::cout << o.key << "  " << fetcher::OutcomeName(o);
    // "deleted [deleted]" says one thing twice: the transition only when it adds to the outcome.
    if (recheck && !o.transition.empty() && o.transition != fetcher::OutcomeName(o)) {
      std::cout << "  [" << o.transition << "]";
    }
    if (o.kind != fetcher::PostOutcome::Kind::kFailed &&
        o.kind != fetcher::PostOutcome::Kind::kUnchanged &&
        o.kind != fetcher::PostOutcome::Kind::kNotAPost) {
      std::cout << "  " << Plural(static_cast<uint64_t>(o.media), "file") << "  "
                << HumanBytes(o.bytes_stored);
    }
    if (!o.detail.empty()) std::cout << "  (" << Printable(o.detail) << ")";
    std::cout << std::endl;
    if (progress) {
      const size_t done = captured + partial + gone + failed + unchanged + not_posts;
      std::cerr << "[" << done << "/" << ids.size() << "] " << failed << " failed, "
                << HumanBytes(bytes) << std::flush;
      if (done == ids.size()) std::cerr << "\r\033[K" << std::flush;
    }
  };
  // Lines come out in input order: an outcome that finishes early waits for those before it.
  std::map<size_t, fetcher::PostOutcome> waiting;
  size_t next = 0;
  auto in_order = [&](const fetcher::PostOutcome& o) {
    waiting.emplace(o.index, o);
    for (auto it = waiting.find(next); it != waiting.end(); it = waiting.find(next)) {
      report(it->second);
      waiting.erase(it);
      ++next;
    }
  };
  auto outcomes = archiver.Archive(ids, in_order);
  if (outcomes_out != nullptr) *outcomes_out = std::move(outcomes);
  if (!json) {
    std::cout << Plural(captured + partial + gone + failed + unchanged, "post") << ": " << captured
              << " captured, " << gone << " gone, " << failed << " failed, " << partial
              << " partial, " << unchanged << " unchanged";
    if (not_posts > 0) {
      std::cout << " (" << Plural(not_posts, "link was", "links were") << " not a post)";
    }
    std::cout << "; " << Plural(media, "file") << ", " << HumanBytes(bytes) << " stored\n";
  }
  if (failed > 0) return kExitFailure;
  return partial > 0 ? kExitPartial : kExitOk;
}

}  // namespace stillpost::cli
