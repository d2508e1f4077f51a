// Mastodon's adapter: the public status API of the post's own server. A link that only looks
// like a Mastodon post (PostRef::unverified) is a post only when its host answers like Mastodon.
#include "fetcher/adapter.h"

#include <boost/json/parse.hpp>

#include "fetcher/mastodon/mastodon.h"

namespace stillpost::fetcher::mastodon {
namespace {

class MastodonAdapter final : public Adapter {
 public:
  KeyPlatform platform() const override { return KeyPlatform::kMastodon; }

  std::string PostUrl(const ParsedPostKey& key) const override {
    return StatusUrl(key.host, key.id);
  }

  Answer Interpret(const ParsedPostKey& key, const PostRef& ref,
                   Result<HttpResponse> r) const override {
    if (ref.unverified) {
      if (std::string why = NotMastodon(r); !why.empty()) {
        Answer a;
        a.kind = Answer::Kind::kNotAPost;
        a.why = key.host + " does not answer the Mastodon API (" + why + ")";
        return a;
      }
    }
    return InterpretPostAnswer(PostUrl(key), key, std::move(r), TombstoneFor,
                               [&key](std::string_view body) { return MapStatus(body, key.host); });
  }

 private:
  // Why an answer is not Mastodon's (empty when it is: a Status with an id and an account, or a
  // JSON error). Mapping the Status is InterpretPostAnswer's, done once, there.
  static std::string NotMastodon(const Result<HttpResponse>& r) {
    if (!r) return r.error().message();
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(r->body, ec);
    const boost::json::object* o = !ec ? v.if_object() : nullptr;
    if (r->status == 200 && o != nullptr && o->contains("id") && o->contains("account")) return {};
    if (r->status != 200 && o != nullptr && o->contains("error")) return {};
    return "HTTP " + std::to_string(r->status) + (o != nullptr ? "" : ", not JSON");
  }
};

}  // namespace

const Adapter& GetAdapter() {
  static const MastodonAdapter adapter;
  return adapter;
}

}  // namespace stillpost::fetcher::mastodon
