#include "service/run.h"

#include <boost/url/parse.hpp>
#include <set>

#include "common/post_key.h"
#include "common/time.h"
#include "common/web.h"
#include "fetcher/page.h"
#include "proto/time.h"
#include "service/feeds.h"
#include "service/keys.h"
#include "service/origin.h"

namespace stillpost::service {
namespace {

using fetcher::PostOutcome;

proto::JobRef RefToProto(const PostRef& r) {
  proto::JobRef p;
  if (!r.key.empty()) p.set_key(r.key);
  if (!r.bsky_handle.empty()) p.set_bsky_handle(r.bsky_handle);
  if (!r.bsky_rkey.empty()) p.set_bsky_rkey(r.bsky_rkey);
  p.set_input(r.input);
  if (r.unverified) p.set_unverified(true);
  return p;
}

PostRef RefFromProto(const proto::JobRef& p) {
  PostRef r;
  r.key = p.key();
  r.bsky_handle = p.bsky_handle();
  r.bsky_rkey = p.bsky_rkey();
  r.input = p.input();
  r.unverified = p.unverified();
  return r;
}

class Expander {
 public:
  Expander(archive::Store* store, proto::Job& job, const RunSettings& settings,
           const RunEvents& events, std::vector<fetcher::FoundPost>* found)
      : store_(store), job_(job), settings_(settings), events_(events), found_(found) {}

  Status Run() {
    job_.clear_articles();
    // Inputs and pages in the order they were given: a page's position counts inputs before it.
    size_t page = 0;
    for (int i = 0; i <= job_.inputs_size(); ++i) {
      while (page < static_cast<size_t>(job_.pages_size()) &&
             job_.pages(static_cast<int>(page)).position() <= static_cast<uint32_t>(i)) {
        const auto& p = job_.pages(static_cast<int>(page++));
        Scan(p.html(), p.url());
      }
      if (i == job_.inputs_size()) break;
      SP_RETURN_IF_ERROR(Input(job_.inputs(i)));
    }
    for (const auto& feed : job_.feeds()) SP_RETURN_IF_ERROR(Feed(feed));
    job_.clear_refs();
    for (const auto& ref : refs_) *job_.add_refs() = RefToProto(ref);
    job_.set_expanded(true);
    return Status::Ok();
  }

  std::vector<archive::ServiceWrite> after_expansion;  // feed state and seen marks

 private:
  size_t AddRef(const PostRef& ref) {
    auto it = std::find_if(refs_.begin(), refs_.end(),
                           [&](const PostRef& r) { return SamePost(r, ref); });
    if (it != refs_.end()) return static_cast<size_t>(it - refs_.begin());
    refs_.push_back(ref);
    return refs_.size() - 1;
  }

  Status Input(const std::string& input) {
    const auto& nitter = settings_.archive.nitter_hosts;
    if (auto ref = ParsePostRef(input, nitter)) {
      AddRef(*ref);
      return Status::Ok();
    }
    auto kind = ClassifyInput(input, nitter);
    if (!kind) return kind.error();
    auto page = fetcher::FetchPage(input, settings_.archive.http);
    if (!page) return page.error();
    if (!job_.seen_origin().empty() && OriginOf(page->url) != job_.seen_origin()) {
      return PermissionDeniedError("the page " + input + " moved to " + page->url +
                                   ", which is not on " + job_.seen_origin());
    }
    Scan(page->html, page->url);
    return Status::Ok();
  }

  void Scan(const std::string& html, const std::string& url) {
    fetcher::ScanOptions scan;
    scan.nitter_hosts = settings_.archive.nitter_hosts;
    scan.whole_page = job_.whole_page();
    const auto scanned = fetcher::ScanArticle(html, url, scan);
    proto::JobArticle* a = job_.add_articles();
    proto::Article& article = *a->mutable_article();
    article.set_url(scanned.canonical_url);
    article.set_fetched_url(url);
    article.set_title(scanned.title);
    article.set_scope(scanned.scope);
    article.set_scope_path(scanned.scope_path);
    *article.mutable_scanned_at() = proto::TimestampOf(NowMicros());
    a->set_found(static_cast<uint32_t>(scanned.posts.size()));
    for (const auto& p : scanned.posts) {
      if (found_ != nullptr) found_->push_back(p);
      a->add_refs(static_cast<uint32_t>(AddRef(p.ref)));
    }
    if (events_.on_article) events_.on_article(*a);
  }

  Status Feed(const std::string& url) {
    if (store_ == nullptr) return FailedPreconditionError("reading a feed needs the store");
    proto::FeedState state;
    if (auto stored = store_->GetService(FeedKey(url))) {
      state.ParseFromString(*stored);
    }
    state.set_url(url);
    *state.mutable_checked_at() = proto::TimestampOf(NowMicros());
    fetcher::HttpRequest request{url, fetcher::BodyKind::kHtml};
    if (!state.etag().empty()) request.headers.push_back("If-None-Match: " + state.etag());
    if (!state.last_modified().empty()) {
      request.headers.push_back("If-Modified-Since: " + state.last_modified());
    }
    auto answer =
        std::move(fetcher::FetchAll({std::move(request)}, settings_.archive.http).front());
    auto keep_state = [&](std::string error) {
      state.set_last_error(std::move(error));
      after_expansion.push_back({FeedKey(url), state.SerializeAsString(), false});
    };
    if (!answer) {
      keep_state(answer.error().message());
      return answer.error().WithContext("reading the feed " + url);
    }
    if (answer->status == 304) {
      keep_state("");
      return Status::Ok();
    }
    if (answer->status != 200) {
      keep_state("HTTP " + std::to_string(answer->status));
      return UnavailableError("reading the feed " + url + ": HTTP " +
                              std::to_string(answer->status));
    }
    auto parsed = ParseFeed(answer->body, answer->url.empty() ? url : answer->url);
    if (!parsed) {
      keep_state(parsed.error().message());
      return parsed.error().WithContext("reading the feed " + url);
    }
    state.set_etag(answer->etag);
    state.set_last_modified(answer->last_modified);
    state.set_format(parsed->format);
    *state.mutable_changed_at() = state.checked_at();
    // The articles it names that no read of a feed took before, at most max_feed_items.
    std::vector<fetcher::HttpRequest> pages;
    for (const auto& item : parsed->items) {
      if (pages.size() >= settings_.max_feed_items) break;
      if (store_->GetService(FeedSeenKey(item.url))) continue;
      pages.push_back({item.url, fetcher::BodyKind::kHtml});
    }
    auto answers = fetcher::FetchAll(pages, settings_.archive.http);
    for (size_t i = 0; i < pages.size(); ++i) {
      const std::string& page_url = pages[i].url;
      auto& result = answers[i];
      std::string error;
      if (!result) {
        error = result.error().message();
      } else if (result->status != 200) {
        error = "HTTP " + std::to_string(result->status);
      }
      if (!error.empty()) {
        // Tried again on the feed's next read: not marked as seen.
        proto::JobArticle* a = job_.add_articles();
        a->mutable_article()->set_url(page_url);
        a->set_error("fetching " + page_url + ": " + error);
        if (events_.on_article) events_.on_article(*a);
        continue;
      }
      Scan(result->body, result->url);
      state.set_items_seen(state.items_seen() + 1);
      after_expansion.push_back({FeedSeenKey(page_url), url, false});
    }
    keep_state("");
    return Status::Ok();
  }

  archive::Store* store_;
  proto::Job& job_;
  const RunSettings& settings_;
  const RunEvents& events_;
  std::vector<fetcher::FoundPost>* found_;
  std::vector<PostRef> refs_;  // the job's posts, each once, in order (Job.refs when done)
};

bool Cancelled(const RunSettings& s) {
  return s.archive.http.cancel != nullptr && s.archive.http.cancel->load();
}

}  // namespace

Result<InputKind> ClassifyInput(std::string_view input,
                                const std::vector<std::string>& nitter_hosts) {
  auto ref = ParsePostRef(input, nitter_hosts);
  if (ref) return InputKind::kPost;
  const std::string s(input);
  // A page on X or Bluesky that is not a post (a profile, a hashtag, a share link) is no
  // article either.
  auto url = boost::urls::parse_uri(s);
  const bool http = IsHttpUrl(s);
  const bool on_platform =
      http && url && (IsXHost(url->host(), nitter_hosts) || IsBlueskyHost(url->host()));
  if (!http || on_platform) {
    return InvalidArgumentError(ref.error().message() +
                                (on_platform ? "" : " (nor an article URL or file)"));
  }
  return InputKind::kArticle;
}

Status Expand(archive::Store* store, proto::Job& job, const RunSettings& settings,
              const RunEvents& events, std::vector<fetcher::FoundPost>* found) {
  if (job.expanded()) return Status::Ok();
  Expander expander(store, job, settings, events, found);
  Status expanded = expander.Run();
  if (Cancelled(settings)) return UnavailableError("stopping");
  // A feed that could not be read still records what it answered (its error, its ETag).
  if (expanded.ok() && events.on_expanded) SP_RETURN_IF_ERROR(events.on_expanded(job));
  if (store != nullptr && !expander.after_expansion.empty()) {
    SP_RETURN_IF_ERROR(store->WriteService(expander.after_expansion));
  }
  return expanded;
}

Result<std::vector<PostOutcome>> RunJob(archive::Store& store, proto::Job& job,
                                        const RunSettings& settings,
                                        const std::map<size_t, PostOutcome>& known,
                                        const RunEvents& events) {
  SP_RETURN_IF_ERROR(Expand(&store, job, settings, events));
  const size_t n = static_cast<size_t>(job.refs_size());
  std::vector<PostOutcome> outcomes(n);
  std::vector<PostRef> pending;
  std::vector<size_t> place;  // pending[i] is job.refs(place[i])
  for (size_t i = 0; i < n; ++i) {
    if (auto it = known.find(i); it != known.end()) {
      outcomes[i] = it->second;
      outcomes[i].index = i;
      continue;
    }
    pending.push_back(RefFromProto(job.refs(static_cast<int>(i))));
    place.push_back(i);
  }
  if (!pending.empty()) {
    fetcher::ArchiveOptions options = settings.archive;
    options.job = job.id();
    options.only_if_changed = job.recheck() || !job.force();
    fetcher::Archiver archiver(store, std::move(options));
    archiver.Archive(pending, [&](const PostOutcome& o) {
      PostOutcome placed = o;
      placed.index = place[o.index];
      outcomes[placed.index] = placed;
      if (events.on_outcome) events.on_outcome(placed);
    });
  }
  if (Cancelled(settings)) return UnavailableError("stopping");
  // Articles list their posts by key: the keys the archive run found (handles resolved, boosts
  // followed). A post whose key could not be found is left out, and the failure was reported.
  for (auto& a : *job.mutable_articles()) {
    if (!a.error().empty()) continue;
    proto::Article article = a.article();
    article.clear_post_keys();
    std::set<std::string> listed;
    for (uint32_t i : a.refs()) {
      if (i < outcomes.size() && outcomes[i].kind != PostOutcome::Kind::kNotAPost &&
          ParsePostKey(outcomes[i].key) && listed.insert(outcomes[i].key).second) {
        article.add_post_keys(outcomes[i].key);
      }
    }
    SP_RETURN_IF_ERROR(store.PutArticle(article));
  }
  return outcomes;
}

proto::JobOutcome OutcomeToProto(const PostOutcome& o) {
  proto::JobOutcome p;
  p.set_index(static_cast<uint32_t>(o.index));
  p.set_key(o.key);
  switch (o.kind) {
    case PostOutcome::Kind::kCaptured:
      p.set_kind(proto::JobOutcome::KIND_CAPTURED);
      break;
    case PostOutcome::Kind::kGone:
      p.set_kind(proto::JobOutcome::KIND_GONE);
      break;
    case PostOutcome::Kind::kFailed:
      p.set_kind(proto::JobOutcome::KIND_FAILED);
      break;
    case PostOutcome::Kind::kUnchanged:
      p.set_kind(proto::JobOutcome::KIND_UNCHANGED);
      break;
    case PostOutcome::Kind::kNotAPost:
      p.set_kind(proto::JobOutcome::KIND_NOT_A_POST);
      break;
  }
  if (o.partial) p.set_partial(true);
  p.set_media(static_cast<uint32_t>(o.media));
  p.set_bytes(o.bytes_stored);
  if (!o.detail.empty()) p.set_detail(o.detail);
  if (!o.transition.empty()) p.set_transition(o.transition);
  if (o.gone_kind != proto::Tombstone::KIND_UNSPECIFIED) p.set_gone_kind(o.gone_kind);
  *p.mutable_finished_at() = proto::TimestampOf(NowMicros());
  return p;
}

PostOutcome OutcomeFromProto(const proto::JobOutcome& p) {
  PostOutcome o;
  o.index = p.index();
  o.key = p.key();
  switch (p.kind()) {
    case proto::JobOutcome::KIND_CAPTURED:
      o.kind = PostOutcome::Kind::kCaptured;
      break;
    case proto::JobOutcome::KIND_GONE:
      o.kind = PostOutcome::Kind::kGone;
      break;
    case proto::JobOutcome::KIND_UNCHANGED:
      o.kind = PostOutcome::Kind::kUnchanged;
      break;
    case proto::JobOutcome::KIND_NOT_A_POST:
      o.kind = PostOutcome::Kind::kNotAPost;
      break;
    default:
      o.kind = PostOutcome::Kind::kFailed;
  }
  o.partial = p.partial();
  o.media = static_cast<int>(p.media());
  o.bytes_stored = p.bytes();
  o.detail = p.detail();
  o.transition = p.transition();
  o.gone_kind = p.gone_kind();
  return o;
}

}  // namespace stillpost::service
