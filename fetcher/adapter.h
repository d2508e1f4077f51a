// One network behind one interface: what to ask for a post, what the answer means, and the
// network's fallbacks and lookups. The archiver (fetcher/archiver.h) drives the requests and
// the media; an adapter never touches the network or the store itself, so each is a set of pure
// functions over requests and answers, tested with recorded bodies.
//
// Adding a network (Threads is next) means one folder, fetcher/NETWORK/, with its mapper and an
// adapter.cc, and one row in the table of fetcher/adapter.cc. docs/fetcher.md walks through it.
//
// Thread safety: adapters are stateless and immutable; every method may be called from any
// thread. The references AdapterFor() returns live as long as the program.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/post_key.h"
#include "common/post_ref.h"
#include "common/status.h"
#include "fetcher/http.h"
#include "fetcher/mapped.h"

namespace stillpost::fetcher {

// A question asked once per run, whatever number of posts need it: a GET of `url` whose 200
// body `parse` reads. Answers are cached by `cache_key` for the run (a handle's DID, a DID's
// PDS), errors included.
struct Lookup {
  std::string cache_key;  // "handle:alice.bsky.social", "pds:did:plc:..."
  std::string url;
  Result<std::string> (*parse)(std::string_view body) = nullptr;
  std::string what;  // for messages: "the Bluesky handle alice.bsky.social", "the PDS of DID"
  // When set, nothing is asked: the lookup fails with this (an unsupported DID method).
  std::string refused;
};

// What the answer to a post's request means.
struct Answer {
  enum class Kind {
    kPost,      // `mapped.post`, whose media come next
    kGone,      // `mapped.tombstone`, stored as the capture's outcome
    kFailed,    // the capture fails: `why`
    kFallback,  // try the adapter's fallback; `why` says what failed first
    kNotAPost,  // the host is not this network's (PostRef::unverified): nothing is stored
  };
  Kind kind = Kind::kFailed;
  MappedPost mapped;
  std::string why;
  // The upstream's body, kept as the capture's raw body (kPost and kGone).
  std::string raw_body;
  // kPost: why the post is known to be incomplete already (a text-only fallback).
  std::string partial_reason;

  static Answer Failed(std::string why) {
    Answer a;
    a.why = std::move(why);
    return a;
  }
};

// A media file fetched from somewhere other than the URL it was mapped with, found through a
// lookup: a Bluesky video's original blob on the author's PDS instead of the HLS playlist.
struct MediaSource {
  std::string mapped_url;  // as in the mapped Post
  Lookup lookup;           // where the file is (its answer goes to `url_for`)
  // The URL to fetch, from the lookup's answer.
  std::function<std::string(const std::string& answer)> url_for;
  // Whether fetched bytes are the file meant (a content address to check); nullopt when it
  // cannot be checked. Empty: not checked.
  std::function<std::optional<bool>(std::string_view bytes)> matches;
};

class Adapter {
 public:
  virtual ~Adapter() = default;

  virtual KeyPlatform platform() const = 0;

  // A reference that names no key yet (a Bluesky URL by handle): the lookup whose answer makes
  // the key, or nullopt when this adapter does not resolve `ref`.
  virtual std::optional<Lookup> ResolveRef(const PostRef& /*ref*/) const { return std::nullopt; }
  // The key from ResolveRef's answer; InvalidArgument when the answer makes none.
  virtual Result<std::string> KeyFromResolved(const PostRef& ref,
                                              const std::string& /*answer*/) const {
    return InvalidArgumentError("nothing resolves " + ref.input);
  }

  // The first request for a post (an API URL; --upstream rewriting happens in HttpClient).
  virtual std::string PostUrl(const ParsedPostKey& key) const = 0;
  // What the answer to PostUrl means (`r` is the transport's result: an error, or any HTTP
  // status). `ref` says how the post was named (unverified Mastodon-shaped links).
  virtual Answer Interpret(const ParsedPostKey& key, const PostRef& ref,
                           Result<HttpResponse> r) const = 0;

  // After a kFallback answer: the fallback's request (X: publish.twitter.com oEmbed), and what
  // its answer makes — a partial post (text only), or kFailed. Empty URL: no fallback.
  virtual std::string FallbackUrl(const ParsedPostKey& /*key*/) const { return {}; }
  virtual Answer InterpretFallback(const ParsedPostKey& /*key*/, const std::string& why,
                                   Result<HttpResponse> /*r*/) const {
    return Answer::Failed(why);
  }

  // Whether the post's author is who the post says: the lookup whose answer must equal
  // author().id() for Capture.handle_verified (Bluesky: the handle resolves to the DID).
  virtual std::optional<Lookup> VerifyAuthor(const proto::Post& /*post*/) const {
    return std::nullopt;
  }

  // Posts one request can check at once (Bluesky's getPosts, 25 URIs): at most this many per
  // request (0: the network has no such lookup).
  virtual size_t BatchLimit() const { return 0; }
  // The request for these posts (at most BatchLimit()).
  virtual std::string BatchUrl(std::span<const ParsedPostKey> /*keys*/) const { return {}; }
  // What a batch's 200 answer shows: each post present, by key, with its version
  // (Post.upstream_version: a Bluesky record's CID). A post left out is gone or hidden; its own
  // request says which. InvalidArgument for an answer that is not the lookup's.
  virtual Result<std::map<std::string, std::string>> InterpretBatch(
      std::string_view /*body*/) const {
    return InvalidArgumentError("this network has no batch lookup");
  }
  // Media the mapped post names that are fetched from elsewhere (found by lookups first).
  virtual std::vector<MediaSource> MediaSources(const MappedPost& /*mapped*/) const { return {}; }
};

// The adapter of a platform. Every KeyPlatform has one.
const Adapter& AdapterFor(KeyPlatform platform);
// Every adapter, in table order (for references that name no key yet).
std::span<const Adapter* const> Adapters();

// The usual reading of a post's first answer, for adapters whose API answers 200 with the post
// and an error status for a gone one: a transport error or a status `tombstone_for` does not
// explain fails the capture; `map` reads a 200 body. A mapped post under another key than
// `key` fails unless the mapper says why (MappedPost::note: a boost, archived under its own
// key).
Answer InterpretPostAnswer(
    const std::string& url, const ParsedPostKey& key, Result<HttpResponse> r,
    const std::function<std::optional<proto::Tombstone>(int, std::string_view)>& tombstone_for,
    const std::function<Result<MappedPost>(std::string_view)>& map);

}  // namespace stillpost::fetcher
