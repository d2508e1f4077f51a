// Bluesky's adapter: the AppView's getPostThread; a handle in a URL resolved to its DID first;
// the author's handle verified against the DID; videos fetched as the original blob from the
// author's PDS, found through the DID document (bluesky.h says why).
#include "fetcher/adapter.h"

#include <boost/algorithm/string/case_conv.hpp>

#include "fetcher/bluesky/bluesky.h"

namespace stillpost::fetcher::bluesky {
namespace {

Lookup HandleLookup(const std::string& handle) {
  return {"handle:" + handle,
          ResolveHandleUrl(handle),
          ParseResolveHandle,
          "the Bluesky handle " + handle,
          {}};
}

class BlueskyAdapter final : public Adapter {
 public:
  KeyPlatform platform() const override { return KeyPlatform::kBluesky; }

  std::optional<Lookup> ResolveRef(const PostRef& ref) const override {
    if (!ref.NeedsResolving() || ref.bsky_handle.empty()) return std::nullopt;
    return HandleLookup(ref.bsky_handle);
  }
  Result<std::string> KeyFromResolved(const PostRef& ref, const std::string& did) const override {
    return "bsky/" + did + "/" + ref.bsky_rkey;
  }

  std::string PostUrl(const ParsedPostKey& key) const override {
    return PostThreadUrl(key.did, key.id);
  }

  Answer Interpret(const ParsedPostKey& key, const PostRef& /*ref*/,
                   Result<HttpResponse> r) const override {
    return InterpretPostAnswer(
        PostUrl(key), key, std::move(r), TombstoneFor,
        [&key](std::string_view body) { return MapPostThread(body, key.did, key.id); });
  }

  size_t BatchLimit() const override { return kGetPostsLimit; }
  std::string BatchUrl(std::span<const ParsedPostKey> keys) const override {
    return GetPostsUrl(keys);
  }
  Result<std::map<std::string, std::string>> InterpretBatch(std::string_view body) const override {
    return ParseGetPosts(body);
  }

  std::optional<Lookup> VerifyAuthor(const proto::Post& post) const override {
    const proto::Author& a = post.author();
    if (a.handle().empty() || a.handle() == "handle.invalid" || a.id().empty()) {
      return std::nullopt;
    }
    return HandleLookup(boost::algorithm::to_lower_copy(a.handle()));
  }

  std::vector<MediaSource> MediaSources(const MappedPost& mapped) const override {
    std::vector<MediaSource> out;
    for (const auto& [playlist, ref] : mapped.video_blobs) {
      const std::string did = ref.first, cid = ref.second;
      MediaSource s;
      s.mapped_url = playlist;
      s.lookup = {"pds:" + did, DidDocumentUrl(did), PdsFromDidDocument, "the PDS of " + did, {}};
      if (s.lookup.url.empty()) s.lookup.refused = "unsupported DID method";
      s.url_for = [did, cid](const std::string& pds) { return GetBlobUrl(pds, did, cid); };
      s.matches = [cid](std::string_view bytes) { return BlobMatchesCid(bytes, cid); };
      out.push_back(std::move(s));
    }
    return out;
  }
};

}  // namespace

const Adapter& GetAdapter() {
  static const BlueskyAdapter adapter;
  return adapter;
}

}  // namespace stillpost::fetcher::bluesky
