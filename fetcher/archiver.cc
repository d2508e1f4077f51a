#include "fetcher/archiver.h"

#include <google/protobuf/util/time_util.h>
#include <gumbo.h>

#include <boost/algorithm/string/case_conv.hpp>
#include <boost/json/parse.hpp>
#include <deque>
#include <map>
#include <set>

#include "common/post_key.h"
#include "common/sha256.h"
#include "common/time.h"
#include "common/version.h"
#include "common/web.h"
#include "fetcher/bluesky.h"
#include "fetcher/detail/html.h"
#include "fetcher/detail/timestamp.h"
#include "fetcher/mastodon.h"
#include "fetcher/media.h"
#include "fetcher/x.h"

namespace stillpost::fetcher {
namespace {

using detail::Ts;

// How many URLs one media slot may try: the first, then fallbacks (smaller photo, lower
// bitrate, the origin's copy). Real chains are two or three long.
constexpr size_t kMaxFallbacks = 4;

// Text content of the first <p> under a blockquote in oEmbed html: what the widget shows
// before its script runs. <br> is a line break.
const GumboNode* FindFirst(const GumboNode* node, GumboTag tag, int depth = 0) {
  if (node->type != GUMBO_NODE_ELEMENT || depth > detail::kMaxHtmlDepth) return nullptr;
  if (node->v.element.tag == tag) return node;
  const GumboVector& children = node->v.element.children;
  for (unsigned i = 0; i < children.length; ++i) {
    if (auto* found = FindFirst(static_cast<const GumboNode*>(children.data[i]), tag, depth + 1)) {
      return found;
    }
  }
  return nullptr;
}

void CollectText(const GumboNode* node, std::string& out, int depth = 0) {
  if (depth > detail::kMaxHtmlDepth) return detail::AppendAllText(node, out);
  if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE) {
    out += node->v.text.text;
    return;
  }
  if (node->type != GUMBO_NODE_ELEMENT) return;
  if (node->v.element.tag == GUMBO_TAG_BR) out += '\n';
  const GumboVector& children = node->v.element.children;
  for (unsigned i = 0; i < children.length; ++i) {
    CollectText(static_cast<const GumboNode*>(children.data[i]), out, depth + 1);
  }
}

std::string OEmbedText(const std::string& html) {
  const detail::Html doc(html);
  std::string text;
  if (const GumboNode* p = FindFirst(doc.root(), GUMBO_TAG_P)) CollectText(p, text);
  return text;
}

}  // namespace

std::string_view TombstoneKindName(proto::Tombstone::Kind kind) {
  switch (kind) {
    case proto::Tombstone::KIND_DELETED:
      return "deleted";
    case proto::Tombstone::KIND_PROTECTED:
      return "protected";
    case proto::Tombstone::KIND_SUSPENDED:
      return "suspended";
    case proto::Tombstone::KIND_WITHHELD:
      return "withheld";
    case proto::Tombstone::KIND_NOT_FOUND:
      return "not found";
    default:
      return "gone";
  }
}

std::string_view OutcomeName(const PostOutcome& o) {
  switch (o.kind) {
    case PostOutcome::Kind::kCaptured:
      return o.partial ? "partial" : "captured";
    case PostOutcome::Kind::kGone:
      return TombstoneKindName(o.gone_kind);
    case PostOutcome::Kind::kFailed:
      return "failed";
    case PostOutcome::Kind::kUnchanged:
      return "unchanged";
    case PostOutcome::Kind::kNotAPost:
      return "not a post";
  }
  return "failed";
}

std::string ContentDigest(const proto::Post& post) {
  std::string s = post.text();
  auto add = [&s](std::string_view part) {
    s += '\x1f';
    s += part;
  };
  for (const auto& e : post.entities()) add(e.target());
  for (const auto& m : post.media()) add(m.original_url());
  add(post.card().url());
  add(post.card().title());
  add(post.quoted_key());
  add(post.has_edited_at() ? std::to_string(post.edited_at().seconds()) : "");
  add(post.upstream_version());
  return Sha256Hex(s);
}

struct Archiver::Impl {
  archive::Store& store;
  ArchiveOptions options;
  HttpClient http;
  MimeSniffer sniffer;
  std::map<std::string, std::string> stored_by_url;  // media URL -> sha256, once committed

  // One post on its way through the pipeline.
  struct Job {
    size_t index = 0;
    std::string id;   // X id, Mastodon status id, Bluesky rkey
    std::string key;  // the post key (for a Bluesky handle: known once resolved)
    PostRef ref;
    ParsedPostKey parsed;
    proto::Capture capture;
    std::string raw_body;
    std::map<std::string, std::string> fallbacks;
    std::vector<MediaSlot> slots;
    size_t pending = 0;
    // Each distinct URL of the post's media, fetched once for every slot that names it.
    struct Group {
      std::vector<size_t> slots;
      BodyKind kind = BodyKind::kImage;
    };
    std::vector<Group> groups;
    std::chrono::steady_clock::time_point deadline{};  // --post-timeout; none when zero
    // Bodies (spooled to disk, mapped) kept alive until the capture is stored.
    std::vector<std::shared_ptr<const SpooledBody>> media_data;
    std::vector<proto::BlobMeta> media_meta;
    std::vector<std::string> failures;
    std::map<std::string, std::pair<std::string, std::string>> video_blobs;  // bluesky
    std::map<std::string, std::string> cid_by_url;   // getBlob URL -> CID to check the bytes by
    std::map<std::string, std::string> skip_urls;    // media URL -> why it is not fetched
    std::map<std::string, std::string> failed_urls;  // media URL -> why it failed, this post
    std::string note;
  };

  std::vector<PostOutcome>* outcomes = nullptr;
  const std::function<void(const PostOutcome&)>* on_done = nullptr;
  std::deque<std::pair<size_t, PostRef>> queue;  // posts not started yet
  int in_flight = 0;
  // Bluesky lookups, each asked once per run: handle -> DID, DID -> PDS (or why not), with the
  // jobs waiting for an answer.
  std::map<std::string, Result<std::string>> did_by_handle;
  std::map<std::string, Result<std::string>> pds_by_did;
  std::map<std::string, std::vector<std::function<void(const Result<std::string>&)>>> waiting;

  Impl(archive::Store& s, ArchiveOptions o) : store(s), options(std::move(o)), http(options.http) {}

  void Done(size_t index, PostOutcome outcome) {
    outcome.index = index;
    (*outcomes)[index] = outcome;
    if (on_done != nullptr && *on_done) (*on_done)(outcome);
    --in_flight;
    StartMore();
  }

  void StartMore() {
    while (in_flight < options.max_posts_in_flight && !queue.empty()) {
      auto [index, ref] = queue.front();
      queue.pop_front();
      ++in_flight;
      auto job = std::make_shared<Job>();
      job->index = index;
      job->ref = std::move(ref);
      if (options.post_timeout.count() > 0) {
        job->deadline = std::chrono::steady_clock::now() + options.post_timeout;
      }
      if (job->ref.NeedsResolving()) {
        job->key = job->ref.input;
        ResolveHandle(job);
      } else {
        Start(job, job->ref.key);
      }
    }
  }

  void Start(const std::shared_ptr<Job>& job, const std::string& key) {
    auto parsed = ParsePostKey(key);
    if (!parsed) return Done(job->index, Failed(*job, parsed.error().message()));
    job->key = key;
    job->parsed = *parsed;
    job->id = parsed->id;
    switch (parsed->platform) {
      case KeyPlatform::kX:
        return StartX(job);
      case KeyPlatform::kMastodon:
        return StartMastodon(job);
      case KeyPlatform::kBluesky:
        return StartBluesky(job);
    }
  }

  // Asks `url` once per run for `name`, caching the answer (parsed by `parse`) in `cache`.
  void Lookup(std::map<std::string, Result<std::string>>& cache, const std::string& name,
              const std::string& url, Result<std::string> (*parse)(std::string_view),
              std::function<void(const Result<std::string>&)> then) {
    if (auto it = cache.find(name); it != cache.end()) return then(it->second);
    auto& queue_for = waiting[url];
    queue_for.push_back(std::move(then));
    if (queue_for.size() > 1) return;  // already asked
    http.Add({url, BodyKind::kJson}, [this, &cache, name, url, parse](Result<HttpResponse> r) {
      Result<std::string> answer = UnavailableError("no answer");
      if (!r) {
        answer = r.error();
      } else if (r->status != 200) {
        answer = UnavailableError(url + ": HTTP " + std::to_string(r->status));
      } else {
        answer = parse(r->body);
      }
      cache.insert_or_assign(name, answer);
      auto callbacks = std::move(waiting[url]);
      waiting.erase(url);
      for (auto& cb : callbacks) cb(answer);
    });
  }

  void ResolveHandle(const std::shared_ptr<Job>& job) {
    const std::string handle = job->ref.bsky_handle;
    Lookup(did_by_handle, handle, bluesky::ResolveHandleUrl(handle), bluesky::ParseResolveHandle,
           [this, job, handle](const Result<std::string>& did) {
             if (!did) {
               return Done(job->index, Failed(*job, "cannot resolve the Bluesky handle " + handle +
                                                        ": " + did.error().message()));
             }
             Start(job, "bsky/" + *did + "/" + job->ref.bsky_rkey);
           });
  }

  void StartX(const std::shared_ptr<Job>& job) {
    const std::string url = x::TweetResultUrl(job->id);
    http.Add({url, BodyKind::kJson, job->deadline},
             [this, job, url](Result<HttpResponse> r) { OnTweetResult(job, url, std::move(r)); });
  }

  // What the post shows, digested as mapped: before media are fetched, since a fallback URL or
  // a Bluesky video whose PDS could not be found changes the stored URLs, not the post (a
  // re-check must not call that an edit).
  static void SetContentDigest(Job& job) {
    job.capture.set_content_digest(ContentDigest(job.capture.post()));
  }

  PostOutcome Failed(const Job& job, std::string why) {
    PostOutcome o;
    o.key = job.key;
    o.kind = PostOutcome::Kind::kFailed;
    o.detail = std::move(why);
    return o;
  }

  void OnTweetResult(const std::shared_ptr<Job>& job, const std::string& url,
                     Result<HttpResponse> r) {
    job->capture.set_source_url(url);
    job->capture.set_fetcher_version(kVersion);
    if (!r) {
      if (r.error().code() == StatusCode::kInvalidArgument) {
        // A refused address or a bad redirect: no fallback would fare better.
        return Done(job->index, Failed(*job, r.error().message()));
      }
      return FallBackToOEmbed(job, "syndication: " + r.error().message());
    }
    *job->capture.mutable_captured_at() = Ts(NowMicros());
    job->capture.set_http_status(static_cast<int32_t>(r->status));
    if (r->status == 404) {
      proto::Tombstone t;
      t.set_kind(proto::Tombstone::KIND_NOT_FOUND);
      t.set_upstream_text("This Post does not exist or has been deleted (HTTP 404)");
      job->raw_body = std::move(r->body);
      return StoreTombstone(job, std::move(t));
    }
    if (r->status != 200) {
      return FallBackToOEmbed(job, "syndication: HTTP " + std::to_string(r->status));
    }
    auto mapped = x::MapTweetResult(r->body);
    if (!mapped) return FallBackToOEmbed(job, "syndication: " + mapped.error().message());
    job->raw_body = std::move(r->body);
    if (mapped->gone) return StoreTombstone(job, std::move(mapped->tombstone));
    if (mapped->post.id() != job->id) {
      return Done(job->index, Failed(*job, "syndication answered with post " + mapped->post.id() +
                                               " for " + job->id));
    }
    *job->capture.mutable_post() = std::move(mapped->post);
    SetContentDigest(*job);
    job->note = std::move(mapped->note);
    job->fallbacks = std::move(mapped->fallbacks);
    FetchMedia(job);
  }

  // The first answer of a post from Mastodon or Bluesky: a tombstone, a failure, or a mapped
  // post whose media come next.
  template <typename TombstoneFn, typename MapFn>
  void OnPostAnswer(const std::shared_ptr<Job>& job, const std::string& url, Result<HttpResponse> r,
                    TombstoneFn tombstone_for, MapFn map) {
    job->capture.set_source_url(url);
    job->capture.set_fetcher_version(kVersion);
    if (!r) return Done(job->index, Failed(*job, r.error().message()));
    *job->capture.mutable_captured_at() = Ts(NowMicros());
    job->capture.set_http_status(static_cast<int32_t>(r->status));
    if (r->status != 200) {
      if (auto t = tombstone_for(static_cast<int>(r->status), r->body)) {
        job->raw_body = std::move(r->body);
        return StoreTombstone(job, std::move(*t));
      }
      return Done(job->index, Failed(*job, url + ": HTTP " + std::to_string(r->status)));
    }
    Result<MappedPost> mapped = map(r->body);
    if (!mapped) return Done(job->index, Failed(*job, mapped.error().message()));
    job->raw_body = std::move(r->body);
    if (mapped->gone) return StoreTombstone(job, std::move(mapped->tombstone));
    if (mapped->post.key() != job->key) {
      if (mapped->note.empty()) {
        return Done(job->index, Failed(*job, "upstream answered with post " + mapped->post.key() +
                                                 " for " + job->key));
      }
      job->key = mapped->post.key();  // a boost: the boosted post is what is archived
    }
    job->note = std::move(mapped->note);
    job->fallbacks = std::move(mapped->fallbacks);
    job->video_blobs = std::move(mapped->video_blobs);
    *job->capture.mutable_post() = std::move(mapped->post);
    SetContentDigest(*job);
    VerifyHandle(job, [this, job] {
      if (!job->video_blobs.empty()) return ResolveVideos(job);
      FetchMedia(job);
    });
  }

  // Bluesky: whether the author's handle resolves to the author's DID (asked once per handle
  // per run); only then may the store index the handle (Capture.handle_verified).
  void VerifyHandle(const std::shared_ptr<Job>& job, std::function<void()> next) {
    const proto::Author& a = job->capture.post().author();
    if (job->parsed.platform != KeyPlatform::kBluesky || a.handle().empty() ||
        a.handle() == "handle.invalid" || a.id().empty()) {
      return next();
    }
    const std::string handle = boost::algorithm::to_lower_copy(a.handle());
    Lookup(did_by_handle, handle, bluesky::ResolveHandleUrl(handle), bluesky::ParseResolveHandle,
           [job, next, did = a.id()](const Result<std::string>& resolved) {
             if (resolved && *resolved == did) job->capture.set_handle_verified(true);
             next();
           });
  }

  // A link that only looks like a Mastodon post (PostRef::unverified): unless the host answers
  // like Mastodon (a Status, or a JSON error), it is not a post and nothing is stored.
  bool NotMastodon(const std::shared_ptr<Job>& job, const Result<HttpResponse>& r) {
    if (!job->ref.unverified) return false;
    std::string why;
    if (!r) {
      why = r.error().message();
    } else {
      boost::system::error_code ec;
      auto v = boost::json::parse(r->body, ec);
      const bool json_object = !ec && v.is_object();
      // A Status has an id and an account; mapping it is OnPostAnswer's (done once, there).
      if (r->status == 200 && json_object && v.as_object().contains("id") &&
          v.as_object().contains("account")) {
        return false;
      }
      if (r->status != 200 && json_object && v.as_object().contains("error")) return false;
      why = "HTTP " + std::to_string(r->status) + (json_object ? "" : ", not JSON");
    }
    PostOutcome o;
    o.key = job->key;
    o.kind = PostOutcome::Kind::kNotAPost;
    o.detail = job->parsed.host + " does not answer the Mastodon API (" + why + ")";
    Done(job->index, std::move(o));
    return true;
  }

  void StartMastodon(const std::shared_ptr<Job>& job) {
    const std::string url = mastodon::StatusUrl(job->parsed.host, job->id);
    http.Add({url, BodyKind::kJson, job->deadline}, [this, job, url](Result<HttpResponse> r) {
      if (NotMastodon(job, r)) return;
      OnPostAnswer(job, url, std::move(r), mastodon::TombstoneFor, [&](std::string_view body) {
        return mastodon::MapStatus(body, job->parsed.host);
      });
    });
  }

  void StartBluesky(const std::shared_ptr<Job>& job) {
    const std::string url = bluesky::PostThreadUrl(job->parsed.did, job->id);
    http.Add({url, BodyKind::kJson, job->deadline}, [this, job, url](Result<HttpResponse> r) {
      OnPostAnswer(job, url, std::move(r), bluesky::TombstoneFor, [&](std::string_view body) {
        return bluesky::MapPostThread(body, job->parsed.did, job->id);
      });
    });
  }

  // Bluesky videos: the original blob from each author's PDS (fetcher/bluesky.h says why).
  void ResolveVideos(const std::shared_ptr<Job>& job) {
    auto remaining = std::make_shared<size_t>(job->video_blobs.size());
    for (const auto& [playlist, ref] : job->video_blobs) {
      const std::string did = ref.first, cid = ref.second, list = playlist;
      auto resolved = [this, job, remaining, did, cid, list](const Result<std::string>& pds) {
        if (pds) {
          const std::string blob_url = bluesky::GetBlobUrl(*pds, did, cid);
          RewriteUrl(job->capture.mutable_post(), list, blob_url);
          job->cid_by_url[blob_url] = cid;
        } else {
          job->skip_urls[list] = "cannot find the PDS of " + did + ": " + pds.error().message();
        }
        if (--*remaining == 0) FetchMedia(job);
      };
      const std::string doc = bluesky::DidDocumentUrl(did);
      if (doc.empty()) {
        resolved(InvalidArgumentError("unsupported DID method"));
        continue;
      }
      Lookup(pds_by_did, did, doc, bluesky::PdsFromDidDocument, resolved);
    }
  }

  static void RewriteUrl(proto::Post* post, const std::string& from, const std::string& to) {
    for (auto& m : *post->mutable_media()) {
      if (m.original_url() == from) m.set_original_url(to);
    }
    if (post->has_quoted()) RewriteUrl(post->mutable_quoted(), from, to);
  }

  void FallBackToOEmbed(const std::shared_ptr<Job>& job, std::string why) {
    const std::string url = x::OEmbedUrl(job->id);
    http.Add({url, BodyKind::kJson, job->deadline}, [this, job, url, why](Result<HttpResponse> r) {
      if (!r) return Done(job->index, Failed(*job, why + "; oEmbed: " + r.error().message()));
      if (r->status != 200) {
        return Done(job->index, Failed(*job, why + "; oEmbed: HTTP " + std::to_string(r->status)));
      }
      boost::system::error_code ec;
      auto v = boost::json::parse(r->body, ec);
      if (ec || !v.is_object() || !v.as_object().contains("html") ||
          !v.as_object().at("html").is_string()) {
        return Done(job->index, Failed(*job, why + "; oEmbed: malformed answer"));
      }
      const auto& o = v.as_object();
      auto str = [&](const char* k) {
        const auto* f = o.if_contains(k);
        return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string();
      };
      proto::Post post;
      post.set_platform(proto::PLATFORM_X);
      post.set_id(job->id);
      post.set_key(job->key);
      post.set_url(IsHttpUrl(str("url")) ? str("url") : x::CanonicalUrl(job->id));
      post.mutable_author()->set_display_name(str("author_name"));
      if (IsHttpUrl(str("author_url"))) post.mutable_author()->set_profile_url(str("author_url"));
      const std::string author_url = str("author_url");
      const size_t slash = author_url.rfind('/');
      if (slash != std::string::npos)
        post.mutable_author()->set_handle(author_url.substr(slash + 1));
      post.set_text(OEmbedText(str("html")));
      *job->capture.mutable_captured_at() = Ts(NowMicros());
      job->capture.set_source_url(url);
      job->capture.set_http_status(200);
      job->capture.set_partial(true);
      job->capture.set_partial_reason("text only, from oEmbed (" + why + ")");
      *job->capture.mutable_post() = std::move(post);
      job->raw_body = std::move(r->body);
      Commit(job);
    });
  }

  void StoreTombstone(const std::shared_ptr<Job>& job, proto::Tombstone t) {
    *job->capture.mutable_tombstone() = std::move(t);
    Commit(job);
  }

  // Keeps the first max_media_per_post media of a post (and of its quoted post and parent).
  size_t TrimMedia(proto::Post& post) {
    size_t dropped = 0;
    const int cap = std::max(0, options.max_media_per_post);
    if (post.media_size() > cap) {
      dropped += static_cast<size_t>(post.media_size() - cap);
      post.mutable_media()->DeleteSubrange(cap, post.media_size() - cap);
    }
    if (post.has_quoted()) dropped += TrimMedia(*post.mutable_quoted());
    if (post.has_reply_to()) dropped += TrimMedia(*post.mutable_reply_to());
    return dropped;
  }

  void FetchMedia(const std::shared_ptr<Job>& job) {
    if (const size_t dropped = TrimMedia(*job->capture.mutable_post()); dropped > 0) {
      job->failures.push_back(std::to_string(dropped) + " media over the per-post cap of " +
                              std::to_string(options.max_media_per_post) + " not kept");
    }
    job->slots = MediaSlots(*job->capture.mutable_post());
    job->groups.clear();
    using Role = MediaSlot::Role;
    auto cap_of = [this](Role r) {
      return r == Role::kAvatar  ? options.max_avatars_per_post
             : r == Role::kEmoji ? options.max_emoji_per_post
                                 : options.max_media_per_post;
    };
    auto role_name = [](Role r) {
      return r == Role::kAvatar ? "avatars" : r == Role::kEmoji ? "emoji" : "media files";
    };
    std::map<std::string, size_t> group_of_url;
    std::map<Role, int> fetches, over;
    for (size_t i = 0; i < job->slots.size(); ++i) {
      const MediaSlot& slot = job->slots[i];
      if (auto skip = job->skip_urls.find(*slot.url); skip != job->skip_urls.end()) {
        if (slot.failure != nullptr) *slot.failure = skip->second;
        job->failures.push_back(skip->second);
        continue;
      }
      if (auto g = group_of_url.find(*slot.url); g != group_of_url.end()) {
        job->groups[g->second].slots.push_back(i);
        continue;
      }
      if (fetches[slot.role] >= cap_of(slot.role)) {
        ++over[slot.role];
        if (slot.failure != nullptr) *slot.failure = "over the per-post cap";
        continue;
      }
      ++fetches[slot.role];
      group_of_url.emplace(*slot.url, job->groups.size());
      job->groups.push_back({{i}, slot.kind});
    }
    for (const auto& [role, n] : over) {
      job->failures.push_back(std::to_string(n) + " " + role_name(role) +
                              " over the per-post cap of " + std::to_string(cap_of(role)));
    }
    job->pending = job->groups.size();
    if (job->pending == 0) return Commit(job);
    for (size_t g = 0; g < job->groups.size(); ++g) {
      const std::string url = *job->slots[job->groups[g].slots.front()].url;
      FetchGroup(job, g, url, "", {url});
    }
  }

  // Fetches one URL of a post for every slot that names it; on failure, the URL's fallback,
  // never one tried already for these slots (upstream fallbacks can form cycles: A->B->A).
  void FetchGroup(const std::shared_ptr<Job>& job, size_t g, const std::string& url,
                  std::string earlier_error, std::set<std::string> tried) {
    const auto fill = [job, g](const std::string& sha, const std::string& at,
                               const std::string& mime) {
      for (size_t i : job->groups[g].slots) {
        const MediaSlot& s = job->slots[i];
        *s.blob = sha;
        *s.url = at;
        if (s.mime != nullptr && !mime.empty()) *s.mime = mime;
      }
    };
    if (auto known = stored_by_url.find(url); known != stored_by_url.end()) {
      fill(known->second, url, "");
      return SlotDone(job);
    }
    if (auto failed = job->failed_urls.find(url); failed != job->failed_urls.end()) {
      return GroupFailed(job, g, url, failed->second, std::move(earlier_error), std::move(tried));
    }
    const BodyKind kind = job->groups[g].kind;
    http.Add({url, kind, job->deadline},
             [this, job, g, url, kind, earlier_error, tried, fill](Result<HttpResponse> r) mutable {
               std::string error;
               if (!r) {
                 error = r.error().message();
               } else if (r->status != 200) {
                 error = "HTTP " + std::to_string(r->status) + " for " + url;
               } else if (!r->spooled) {
                 error = "no body for " + url;  // media are spooled (http.h); never expected
               } else {
                 const std::string_view bytes = r->spooled->data();
                 const std::string mime = sniffer.Sniff(bytes);
                 std::optional<bool> cid_ok;
                 if (auto cid = job->cid_by_url.find(url); cid != job->cid_by_url.end()) {
                   cid_ok = bluesky::BlobMatchesCid(bytes, cid->second);
                 }
                 if (cid_ok.has_value() && !*cid_ok) {
                   error = url + " does not hold the blob its CID names";
                 } else if (!MimeFits(kind, mime)) {
                   error = url + " is " + mime + ", not the " +
                           (kind == BodyKind::kVideo ? "video" : "image") + " expected";
                 } else {
                   proto::BlobMeta meta;
                   meta.set_mime(mime);
                   meta.add_original_urls(url);
                   const std::string sha = Sha256Hex(bytes);
                   meta.set_sha256(sha);
                   fill(sha, url, mime);
                   job->media_data.push_back(r->spooled);  // media always come spooled
                   job->media_meta.push_back(std::move(meta));
                   return SlotDone(job);
                 }
               }
               job->failed_urls.emplace(url, error);
               GroupFailed(job, g, url, error, std::move(earlier_error), std::move(tried));
             });
  }

  // `url` failed for group `g` (now, or earlier in this post): its fallback next, never one
  // tried already for these slots, or the slots' failure.
  void GroupFailed(const std::shared_ptr<Job>& job, size_t g, const std::string& url,
                   const std::string& error, std::string earlier_error,
                   std::set<std::string> tried) {
    if (auto next = job->fallbacks.find(url); next != job->fallbacks.end() &&
                                              tried.size() < kMaxFallbacks &&
                                              tried.insert(next->second).second) {
      return FetchGroup(job, g, next->second, error, std::move(tried));
    }
    const std::string why = earlier_error.empty() ? error : earlier_error + "; then " + error;
    for (size_t i : job->groups[g].slots) {
      if (job->slots[i].failure != nullptr) *job->slots[i].failure = why;
    }
    job->failures.push_back(why);
    SlotDone(job);
  }

  void SlotDone(const std::shared_ptr<Job>& job) {
    if (--job->pending == 0) Commit(job);
  }

  void Commit(const std::shared_ptr<Job>& job) {
    proto::Capture& c = job->capture;
    if (!c.has_captured_at()) *c.mutable_captured_at() = Ts(NowMicros());
    if (c.has_post() && !c.has_content_digest()) c.set_content_digest(ContentDigest(c.post()));
    // What changed since the newest capture, for re-checks.
    std::string transition;
    if (auto before = store.StateSummary(job->key)) {
      const bool was_gone = before->current() == proto::PostState::CURRENT_GONE;
      if (c.has_tombstone()) {
        transition = was_gone ? "" : std::string(TombstoneKindName(c.tombstone().kind()));
      } else if (was_gone) {
        transition = "restored";
      } else if (auto latest = store.LatestGood(job->key); latest) {
        if (latest->content_digest() != c.content_digest()) {
          transition = "edited";
        } else if (latest->partial() && !c.partial() && job->failures.empty()) {
          // The newest capture missed something this one has: a whole capture repairs it.
          transition = "repaired";
        }
      }
      if (options.only_if_changed && transition.empty()) {
        PostOutcome o;
        o.key = job->key;
        o.kind = PostOutcome::Kind::kUnchanged;
        return Done(job->index, std::move(o));
      }
    }
    if (!job->failures.empty()) {
      c.set_partial(true);
      std::string reason = std::to_string(job->failures.size()) + " media not stored: ";
      reason += job->failures.front();
      c.set_partial_reason(reason);
    }
    std::vector<archive::BlobWrite> blobs;
    if (!job->raw_body.empty()) {
      archive::BlobWrite raw;
      raw.data = job->raw_body;
      raw.meta.set_mime("application/json");
      raw.meta.add_original_urls(c.source_url());
      c.set_raw_body_blob(Sha256Hex(job->raw_body));
      blobs.push_back(std::move(raw));
    }
    for (size_t i = 0; i < job->media_data.size(); ++i) {
      blobs.push_back({job->media_data[i]->data(), job->media_meta[i]});
    }
    auto added = store.AddCapture(job->key, c, blobs);
    PostOutcome o;
    o.key = job->key;
    if (!added) {
      o.kind = PostOutcome::Kind::kFailed;
      o.detail = added.error().message();
      return Done(job->index, std::move(o));
    }
    for (size_t i = 0; i < job->media_meta.size(); ++i) {
      stored_by_url[job->media_meta[i].original_urls(0)] = job->media_meta[i].sha256();
    }
    o.bytes_stored = added->blob_bytes_written;
    o.media = static_cast<int>(job->media_data.size());
    o.transition = transition;
    if (c.has_tombstone()) {
      o.kind = PostOutcome::Kind::kGone;
      o.gone_kind = c.tombstone().kind();
      o.detail = c.tombstone().upstream_text();
    } else {
      o.kind = PostOutcome::Kind::kCaptured;
      o.partial = c.partial();
      o.detail = c.partial_reason();
      if (!job->note.empty()) o.detail = o.detail.empty() ? job->note : job->note + "; " + o.detail;
    }
    Done(job->index, std::move(o));
  }
};

Archiver::Archiver(archive::Store& store, ArchiveOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {}
Archiver::~Archiver() = default;

std::vector<PostOutcome> Archiver::Archive(const std::vector<PostRef>& refs,
                                           const std::function<void(const PostOutcome&)>& on_done) {
  std::vector<PostRef> distinct;
  for (const auto& ref : refs) {
    const bool seen = std::any_of(distinct.begin(), distinct.end(), [&](const PostRef& d) {
      return d.key == ref.key && d.bsky_handle == ref.bsky_handle && d.bsky_rkey == ref.bsky_rkey;
    });
    if (!seen) distinct.push_back(ref);
  }
  std::vector<PostOutcome> outcomes(distinct.size());
  impl_->outcomes = &outcomes;
  impl_->on_done = &on_done;
  for (size_t i = 0; i < distinct.size(); ++i) impl_->queue.emplace_back(i, distinct[i]);
  impl_->StartMore();
  impl_->http.Run();
  impl_->outcomes = nullptr;
  impl_->on_done = nullptr;
  return outcomes;
}

std::vector<PostOutcome> Archiver::Archive(const std::vector<std::string>& keys,
                                           const std::function<void(const PostOutcome&)>& on_done) {
  std::vector<PostRef> refs;
  for (const auto& key : keys) {
    PostRef ref;
    ref.key = key;
    ref.input = key;
    refs.push_back(std::move(ref));
  }
  return Archive(refs, on_done);
}

}  // namespace stillpost::fetcher
